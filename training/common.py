"""Shared pieces of the training commands: seeds, the node's Gaussian and SSIM, ONNX export, model cards."""
import inspect
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import node_filters

from paths import REPO  # noqa: E402,F401


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Log:
    """Prints and appends to a log file, with the time since start."""

    def __init__(self, path):
        self.path = path
        self.start = time.time()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()

    def __call__(self, line):
        text = f"[{time.time() - self.start:7.1f}s] {line}"
        print(text, flush=True)
        with open(self.path, "a") as handle:
            handle.write(text + "\n")

    def elapsed(self):
        return time.time() - self.start


def node_gaussian_kernel(sigma_px):
    """src/imaging/gaussian-soften.ts gaussianKernel, as a torch tensor (node_filters.py has the numpy one)."""
    return torch.from_numpy(node_filters.node_gaussian_kernel(sigma_px).astype(np.float32))


def separable_blur(images, kernel):
    """Separable blur of N x C x H x W images with edge replication (as the node's applySeparable)."""
    r = (kernel.numel() - 1) // 2
    kernel = kernel.to(images.device)
    n, c, h, w = images.shape
    x = images.reshape(n * c, 1, h, w)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), kernel.view(1, 1, -1, 1))
    return x.reshape(n, c, h, w)


def gaussian_soften(hu, sigma_mm, spacing_mm):
    """The node's Gaussian baseline on slices x H x W (node_filters.py), as a torch tensor."""
    return torch.from_numpy(node_filters.gaussian_soften(hu, sigma_mm, spacing_mm))


def ssim_per_slice(reference_hu, test_hu, window=(-1150.0, 350.0)):
    """src/imaging/metrics.ts ssim per slice (node_filters.py), as a torch tensor."""
    return torch.from_numpy(node_filters.ssim_per_slice(reference_hu, test_hu, window))


def quality(reference_hu, test_hu, window=(-1150.0, 350.0)):
    """PSNR (pooled), mean SSIM, MAE in HU on the window, as the node's compareSeries."""
    low, high = window
    d = reference_hu.clamp(low, high) - test_hu.clamp(low, high)
    mse = float((d.double() ** 2).mean())
    ssim_values = torch.cat([ssim_per_slice(reference_hu[i : i + 8], test_hu[i : i + 8], window) for i in range(0, len(reference_hu), 8)])
    return {"psnr": 10 * math.log10((high - low) ** 2 / mse), "ssim": float(ssim_values.mean()), "mae_hu": float(d.abs().double().mean())}


def tune_gaussian_sigma(sharp_hu, soft_hu, spacing_mm, log):
    """The sigma (mm) maximising mean SSIM of the Gaussian-smoothed sharp series vs the soft one."""
    def score(sigma):
        return float(torch.cat([ssim_per_slice(soft_hu[i : i + 8], gaussian_soften(sharp_hu[i : i + 8], sigma, spacing_mm)) for i in range(0, len(sharp_hu), 8)]).mean())

    grid = [round(0.2 * k, 2) for k in range(1, 16)]
    scores = {s: score(s) for s in grid}
    best = max(scores, key=scores.get)
    fine = [round(best + 0.05 * k, 3) for k in range(-3, 4) if best + 0.05 * k > 0.05]
    scores.update({s: score(s) for s in fine})
    best = max(scores, key=scores.get)
    log(f"gaussian sigma tuned on the training pair: {best} mm (SSIM {scores[best]:.4f})")
    return best, scores[best]


def conv_flops_per_output_voxel(model, input_shape):
    """2 x multiply-adds of every conv / transposed conv per output voxel, counted by forward hooks."""
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.ConvTranspose2d):
            x = inputs[0]
            total[0] += 2 * x.shape[1] * module.out_channels * module.kernel_size[0] * module.kernel_size[1] * x.shape[2] * x.shape[3] * x.shape[0]
        elif isinstance(module, torch.nn.Conv2d):
            total[0] += 2 * module.in_channels * module.out_channels * module.kernel_size[0] * module.kernel_size[1] * output.shape[2] * output.shape[3] * output.shape[0]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.no_grad():
        out = model(torch.zeros(input_shape))
    for h in handles:
        h.remove()
    return total[0] / out.numel()


def export_onnx(model, channels, path, opset=17):
    """ONNX with tensors input/output and dynamic batch, height and width; Constant nodes folded
    into initializers so that the node's graph analyser can read the receptive field."""
    import onnx
    from onnx import numpy_helper

    model.eval()
    dummy = torch.zeros(1, channels, 64, 64)
    # PyTorch 2.9 made the dynamo exporter the default; the TorchScript one keeps the graph (and the
    # initializer names that --init reads back) as every model here was exported.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(
        model, dummy, path, input_names=["input"], output_names=["output"], opset_version=opset,
        dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "out_height", 3: "out_width"}},
        do_constant_folding=True, **legacy,
    )
    graph = onnx.load(path)
    kept = []
    for node in graph.graph.node:
        if node.op_type == "Constant":
            value = numpy_helper.to_array(node.attribute[0].t)
            graph.graph.initializer.append(numpy_helper.from_array(value, node.output[0]))
        else:
            kept.append(node)
    del graph.graph.node[:]
    graph.graph.node.extend(kept)
    onnx.checker.check_model(graph)
    onnx.save(graph, path)
    return sorted({n.op_type for n in graph.graph.node})


def gradient_difference(a, b):
    """Mean absolute difference of the horizontal and vertical image gradients of a and b."""
    dx = lambda v: v[..., :, 1:] - v[..., :, :-1]  # noqa: E731
    dy = lambda v: v[..., 1:, :] - v[..., :-1, :]  # noqa: E731
    return (dx(a) - dx(b)).abs().mean() + (dy(a) - dy(b)).abs().mean()


def crop_origin(volume, k, size, randint):
    """A size x size crop of slice k mostly inside the body (at least half its pixels above -980 HU);
    randint(high) draws the corner."""
    for _ in range(20):
        y, x = randint(volume.shape[1] - size), randint(volume.shape[2] - size)
        if (volume[k, y : y + size, x : x + size] > -980).float().mean() >= 0.5:
            break
    return y, x


def random_dihedral(x, t, randint):
    """The same random flips and transpose of inputs and targets (N x C x H x W)."""
    if randint(2):
        x, t = x.flip(-1), t.flip(-1)
    if randint(2):
        x, t = x.flip(-2), t.flip(-2)
    if randint(2):
        x, t = x.transpose(-1, -2), t.transpose(-1, -2)
    return x, t


def window_scaling(window):
    """norm (HU clipped to the window, mapped to [-1, 1]) and denorm (back to HU), as the node's
    tiler maps a manifest's huWindow."""
    low, high = window

    def norm(hu):
        return (hu.clamp(low, high) - low) * (2.0 / (high - low)) - 1.0

    def denorm(x):
        return (x + 1.0) * 0.5 * (high - low) + low

    return norm, denorm


def neighbour_stack(volume, k, stride=1):
    """Slices k-stride, k, k+stride of a volume (replicated at the ends), as channels: a 2.5D input."""
    n = volume.shape[0]
    return volume[[min(max(k + d * stride, 0), n - 1) for d in (-1, 0, 1)]]


def write_json(path, value):
    with open(path, "w") as handle:
        json.dump(value, handle, indent=2)
        handle.write("\n")
