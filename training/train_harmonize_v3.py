#!/usr/bin/python3
"""Trains generator v3 for one split of npm run eval and exports models/<id>/ (model.onnx, manifest.json,
train-log.txt).

    npx tsx scripts/export-v3-training-data.ts           # once: var/v3-training/, made by the node's code
    /usr/bin/python3 training/train_harmonize_v3.py --split cranial --minutes 25
    /usr/bin/python3 training/train_harmonize_v3.py --split cranial --input blind --minutes 25   # v3_blind
    bash training/gpu_v3_full.sh OUT 3 1.5    # full size on a CUDA machine (--device cuda; pack_device_data.py's data)

v3 starts from the calibrated kernel transfer: its input is the transfer's output (slices z-1, z, z+1),
its output that centre slice plus a learned correction (the last convolution starts at zero, so an
untrained v3 is the transfer exactly). --split names the calibration half (eval.ts's calibrated_on):
the model trains on that half of each real pair (A0001 Philips L->B, A0002 Siemens B70f->B40f,
Toshiba FC51->FC13) and never sees the other half, which npm run eval evaluates. --input blind gives
it the shipped blind classical step (Gaussian 0.6 mm) instead of the transfer: v3_blind.
--pairs KEY trains on one pair only (the v3 of that pair's calibration, npm run eval's v3), best
fine-tuned from the three-pair model of the same half (--init harmonize-v3-<half>); --split whole
trains a site's own v3 on its whole natural pair (export-v3-training-data.ts --calibration, read
with --data), and the manifest then names that calibration, so that kernel-transfer's refine
"per-calibration" runs it on that scanner's series. --pass-above-hu 500 leaves bone to the transfer.
Afterwards, training/body_only_check.py --write <id> decides on the training half whether the node
uses the correction inside the patient's body only (manifest bodyOnly).

Each batch mixes real pairs (--real-fraction) with simulated ones: soft slices (the calibration
halves' soft reconstructions and the TCGA B30f series) made sharp by one of the kernel pairs fitted on
the calibration halves (kernel_model.simulate_sharp, random strength, frequency stretch and noise),
then brought back by the least-squares (Wiener) linear filter of that simulated kernel, so that the
input looks like a calibrated transfer's output (or by the blind Gaussian, for v3_blind).

Losses: L1 + image-gradient difference + noise-power-spectrum match (log radial power of the
high-passed output against the target's) + with --laa-weight, an LAA-950 match (the batch's lung
voxels below -950 HU, output against target, soft step; the per-calibration models use 0.3) +
least-squares adversarial (patch discriminator, after a warm-up), all on what the node delivers:
the network sees its input clipped to the HU window as the node's tiler does, and outside the
window the output passes the input through (outsideWindow "pass-through",
src/inference/outside-window.ts), reproduced here before the loss.
"""
import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, Log, conv_flops_per_output_voxel, crop_origin, export_onnx, gradient_difference, neighbour_stack, node_gaussian_kernel, random_dihedral, seed_everything, separable_blur, window_scaling, write_json  # noqa: E402
from kernel_model import fit_kernel_pair, simulate_sharp  # noqa: E402
from manifest import calibrated_harmonizer_manifest  # noqa: E402
from nets import Harmonizer, PatchDiscriminator, parameter_count  # noqa: E402

# Wide, so that bone and contrast are the network's too; the node clips its input to it exactly so.
HU_WINDOW = (-1150.0, 1850.0)
LOW, HIGH = HU_WINDOW
PASS_MARGIN_HU = 100.0  # outside-window.ts's default margin
DATA = os.path.join(REPO, "var", "v3-training")


norm, denorm = window_scaling(HU_WINDOW)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--split", choices=["cranial", "caudal", "whole"], required=True, help="the calibration half trained on (eval.ts calibrated_on), or whole: a site's whole natural pair (export-v3-training-data.ts --calibration)")
    p.add_argument("--data", default=DATA, help="what export-v3-training-data.ts wrote")
    p.add_argument("--input", choices=["transfer", "blind"], default="transfer")
    p.add_argument("--minutes", type=float, default=25.0, help="training time budget (the step count follows from it)")
    p.add_argument("--max-steps", type=int, default=100000, help="stop after this many steps; the learning rate and the adversarial phase then follow the steps where they come before the time budget (so that a run on a faster machine can repeat one measured in steps)")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--patch", type=int, default=64)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--blocks", type=int, default=5)
    p.add_argument("--real-fraction", type=float, default=0.65)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--gdl-weight", type=float, default=0.5)
    p.add_argument("--nps-weight", type=float, default=0.01)
    p.add_argument("--adv-weight", type=float, default=0.002)
    p.add_argument("--laa-weight", type=float, default=0.0, help="weight of the LAA-950 match (laa_loss, a fraction: 0.01 = 1 pp)")
    p.add_argument("--pairs", default="a0001,a0002,toshiba", help="real pairs to train on (index.json keys)")
    p.add_argument("--check-slices", type=int, default=0, help="slices per pair of the final check on the training halves (0: all)")
    p.add_argument("--pass-above-hu", type=float, default=None, help="the input passes through from this HU up (manifest aboveHu): bone left to the transfer")
    p.add_argument("--init", default=None, help="start from this model's weights (models/<id>/model.onnx, same network): fine-tuning, e.g. a per-calibration v3 from the three-pair one of its split")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="where the networks train: cpu, or cuda (batches are still drawn on the CPU, one ahead)")
    p.add_argument("--version", default="3.0.0")
    p.add_argument("--id", default=None)
    return p.parse_args()


def load(folder, name, slices, rows, columns, encodings=None):
    """One volume of the index, float32 HU; `encodings` (pack_device_data.py) names int16 xz files and their HU scale."""
    encoding = (encodings or {}).get(name)
    if encoding is None:
        values = np.fromfile(os.path.join(folder, name), dtype="<f4")
    else:
        import lzma

        with open(os.path.join(folder, name), "rb") as handle:
            values = np.frombuffer(lzma.decompress(handle.read()), dtype=encoding["dtype"]).astype(np.float32) / np.float32(encoding["scale"])
    return torch.from_numpy(values.reshape(slices, rows, columns).copy())


def radial_bins(h, w, bins):
    f = torch.sqrt(torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.fftfreq(w)[None, :] ** 2)
    return torch.clamp((f / 0.5 * bins).long(), max=bins - 1)


class Sampler:
    MARGIN = 16  # context around simulated patches so the FFT's wrap-around stays outside

    def __init__(self, pairs, sources, fits, input_kind, patch, generator):
        self.pairs, self.sources, self.fits = pairs, sources, fits
        self.input_kind, self.patch, self.g = input_kind, patch, generator
        self.pair_weights = torch.tensor([p["weight"] for p in pairs])

    def _int(self, high):
        return int(torch.randint(high, (1,), generator=self.g))

    def _uniform(self, low, high, n):
        return low + (high - low) * torch.rand(n, generator=self.g)

    def _crop_origin(self, volume, k, size):
        return crop_origin(volume, k, size, self._int)

    def real(self, n):
        inputs, targets = [], []
        for _ in range(n):
            pair = self.pairs[int(torch.multinomial(self.pair_weights, 1, generator=self.g))]
            k = self._int(pair["soft"].shape[0])
            y, x = self._crop_origin(pair["soft"], k, self.patch)
            s = (slice(y, y + self.patch), slice(x, x + self.patch))
            inputs.append(neighbour_stack(pair["input"], k)[:, s[0], s[1]])
            targets.append(pair["soft"][k : k + 1, s[0], s[1]])
        return torch.stack(inputs), torch.stack(targets)

    def simulated(self, n):
        size = self.patch + 2 * self.MARGIN
        softs, spacings = [], []
        for _ in range(n):
            source = self.sources[self._int(len(self.sources))]
            stride = source["strides"][self._int(len(source["strides"]))]
            k = self._int(source["hu"].shape[0])
            y, x = self._crop_origin(source["hu"], k, size)
            softs.append(neighbour_stack(source["hu"], k, stride)[:, y : y + size, x : x + size])
            spacings.append(source["spacing"])
        soft = torch.stack(softs)
        fit = self.fits[self._int(len(self.fits))]
        gamma = torch.exp(self._uniform(math.log(0.6), math.log(1.6), n))
        stretch = torch.exp(self._uniform(math.log(0.8), math.log(1.25), n))
        noise = torch.exp(self._uniform(math.log(0.5), math.log(2.0), n))
        sharp = simulate_sharp(soft, fit, gamma, stretch, noise, self.g)
        if self.input_kind == "transfer":
            x = wiener_back(sharp, soft, fit, gamma, stretch, noise)
        else:
            x = torch.stack([blind_gaussian(sharp[i : i + 1], spacings[i])[0] for i in range(n)])
        m = slice(self.MARGIN, self.MARGIN + self.patch)
        return x[:, :, m, m], soft[:, 1:2, m, m]

    def batch(self, n, real_fraction):
        n_real = round(n * real_fraction)
        parts = [draw(k) for draw, k in ((self.real, n_real), (self.simulated, n - n_real)) if k > 0]
        return random_dihedral(torch.cat([x for x, _ in parts]), torch.cat([t for _, t in parts]), self._int)


BLIND_SIGMA_MM = 0.6


def blind_gaussian(hu, spacing_mm):
    return separable_blur(hu, node_gaussian_kernel(BLIND_SIGMA_MM / spacing_mm))


def wiener_back(sharp, soft, fit, gamma, stretch, noise_scale):
    """The least-squares linear filter from the simulated sharp patches back to the soft ones, per
    sample and radial frequency: G = T P / (T^2 P + N), T the simulated transfer, P the soft patch's
    radial power, N the noise power simulate_sharp added; what a calibration on that pair would fit."""
    from kernel_model import _interp

    n, c, h, w = soft.shape
    f = torch.sqrt(torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.fftfreq(w)[None, :] ** 2)[None] * stretch[:, None, None]
    transfer = _interp(fit["transfer"], f).clamp(min=1e-3) ** gamma[:, None, None]
    noise_power = _interp(fit["nps"], f).clamp(min=0) * noise_scale[:, None, None] ** 2 * h * w
    bins = radial_bins(h, w, h // 2)
    centre = soft[:, 1] - soft[:, 1].mean(dim=(-1, -2), keepdim=True)
    power = torch.fft.fft2(centre).abs() ** 2
    radial = torch.stack([torch.bincount(bins.ravel(), power[i].ravel(), h // 2) / torch.bincount(bins.ravel(), minlength=h // 2) for i in range(n)])
    p = radial[:, bins]
    gain = transfer * p / (transfer**2 * p + noise_power + 1e-6)
    gain[:, 0, 0] = 1.0
    return torch.fft.ifft2(torch.fft.fft2(sharp) * gain[:, None]).real


def pass_through(model_hu, input_hu, top=HIGH):
    """outside-window.ts with the pass-through counterpart: model + e inside, the input beyond the
    edges (the upper one at `top`, the manifest's aboveHu, when that is below the window's), blended
    over PASS_MARGIN_HU (e below the window counts by region: 3x3 max)."""
    above = (input_hu - HIGH).clamp(min=0)
    region_max = F.max_pool2d(input_hu, 3, stride=1, padding=1)
    below = (region_max - LOW).clamp(max=0)
    carried = model_hu + above + below
    w = torch.minimum((top - input_hu) / PASS_MARGIN_HU, 1 + below / PASS_MARGIN_HU).clamp(0, 1)
    return w * carried + (1 - w) * input_hu


NPS_BINS = 16
HIGH_PASS = node_gaussian_kernel(1.5)


def radial_power(hu, bins):
    """Batch-mean radial power spectrum of the high-passed patches (HU / 10 units)."""
    x = hu / 10.0
    x = x - separable_blur(x, HIGH_PASS)
    power = torch.fft.fft2(x).abs() ** 2
    sums = torch.zeros(NPS_BINS, device=power.device).index_add(0, bins.ravel(), power.mean(dim=(0, 1)).ravel())
    return sums / torch.bincount(bins.ravel(), minlength=NPS_BINS)


def nps_loss(y_hu, t_hu, bins):
    return (torch.log(radial_power(y_hu, bins) + 1e-3) - torch.log(radial_power(t_hu, bins) + 1e-3)).abs().mean()


LAA_HU = -950.0
LAA_STEP_HU = 10.0  # width of the soft step that stands for "below -950 HU"
LUNG_BELOW_HU = -500.0  # target voxels counted as lung parenchyma


def laa_loss(y_hu, t_hu):
    """The output's LAA-950 against the target's, over the lung voxels of the whole batch (target
    below LUNG_BELOW_HU), with a soft step so that it has a gradient: the noise a filter keeps or
    erases moves how many lung voxels fall below -950 HU, and that bias is what LAA-950 reports.
    A batch-wide fraction, not per patch: the noise itself cannot be matched voxel by voxel."""
    lung = (t_hu < LUNG_BELOW_HU).float()
    count = lung.sum()
    if count < 1:
        return torch.zeros((), device=y_hu.device)
    below_y = (torch.sigmoid((LAA_HU - y_hu) / LAA_STEP_HU) * lung).sum() / count
    below_t = (torch.sigmoid((LAA_HU - t_hu) / LAA_STEP_HU) * lung).sum() / count
    return (below_y - below_t).abs()


def discriminator_view(hu):
    """The discriminator sees the lung/soft-tissue range at unit scale (not clipped)."""
    return (hu + 400.0) / 750.0


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    top = HIGH if args.pass_above_hu is None else min(args.pass_above_hu, HIGH)
    seed_everything(args.seed)
    if args.split == "whole" and (args.input != "transfer" or len(args.pairs.split(",")) != 1):
        sys.exit("--split whole trains the v3 of one calibration: name its pair alone (--pairs KEY) and the transfer as input")
    stem = args.pairs if args.split == "whole" else args.split
    model_id = args.id or (f"harmonize-v3-{stem}" if args.input == "transfer" else f"harmonize-v3-blind-{stem}")
    folder = os.path.join(REPO, "models", model_id)
    os.makedirs(folder, exist_ok=True)
    log = Log(os.path.join(folder, "train-log.txt"))
    log(f"command: /usr/bin/python3 training/{os.path.basename(__file__)} {' '.join(sys.argv[1:])}")
    with open(os.path.join(args.data, "index.json")) as handle:
        index = json.load(handle)

    pairs, sources, fits, calibrations = [], [], [], []
    weights = {"a0001": 0.4, "a0002": 0.4, "toshiba": 0.2}
    for entry in index["pairs"]:
        if entry["calibratedOn"] != args.split or entry["key"] not in args.pairs.split(","):
            continue
        shape = (entry["slices"], entry["rows"], entry["columns"])
        encodings = entry.get("encodings")
        soft = load(args.data, entry["files"]["soft"], *shape, encodings)
        model_input = load(args.data, entry["files"][args.input], *shape, encodings)
        pairs.append({"name": entry["pair"], "input": model_input, "soft": soft, "weight": weights.get(entry["key"], 1.0)})
        calibrations.append(entry.get("calibration"))
        sources.append({"hu": soft, "strides": [1], "spacing": entry["pixelSpacingMm"][1]})
        fit = entry.get("fit") or fit_kernel_pair(load(args.data, entry["files"]["sharp"], *shape).numpy(), soft.numpy())
        fits.append(fit)
        cropped = f", cropped to rows {entry['crop'][0]}..{entry['crop'][1] - 1}, columns {entry['crop'][2]}..{entry['crop'][3] - 1}" if "crop" in entry else ""
        log(f"real pair {entry['pair']}, {'whole pair' if args.split == 'whole' else args.split + ' half'}: {entry['slices']} slices (z {min(entry['z']):.1f}..{max(entry['z']):.1f}){cropped}; kernel model fitted on it: residual noise {fit['noise_std_hu']:.1f} HU")
    if not pairs:
        sys.exit(f"{args.data}/index.json has no {args.split} pair named {args.pairs}")
    seen = set(args.pairs.split(",")) | (pairs_of(args.init, index) if args.init else set())
    seen_names = sorted({e["pair"] for e in index["pairs"] if e["key"] in seen})
    unseen = sorted({e["pair"] for e in index["pairs"] if e["key"] not in seen})
    for source in index["simulationSources"]:
        hu = load(args.data, source["file"], source["slices"], source["rows"], source["columns"], source.get("encodings"))
        sources.append({"hu": hu, "strides": [2, 3], "spacing": source["pixelSpacingMm"][1]})
        kept = f" (slices {source['keptSlices'][0]}..{source['keptSlices'][1] - 1} of {source['of']})" if "keptSlices" in source else ""
        log(f"simulation source {source['name']}: {source['slices']} slices{kept}")

    generator = torch.Generator().manual_seed(args.seed)
    sampler = Sampler(pairs, sources, fits, args.input, args.patch, generator)
    model = Harmonizer(args.channels, args.blocks)
    if args.init:
        model.load_state_dict(onnx_weights(os.path.join(REPO, "models", args.init, "model.onnx"), model))
        log(f"weights from models/{args.init}/model.onnx")
    device = torch.device(args.device)
    model.to(device)
    disc = PatchDiscriminator().to(device)
    opt_g = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.99))
    bins = radial_bins(args.patch, args.patch, NPS_BINS).to(device)
    budget = args.minutes * 60
    log(f"generator: {parameter_count(model)} parameters, receptive field {model.receptive_field} px; discriminator {parameter_count(disc)}; input {args.input}; budget {args.minutes} min on {device_name(device)}")

    start = time.time()
    step, running, hu_scale = 0, {}, (HIGH - LOW) / 2
    drawing = ThreadPoolExecutor(1)
    next_batch = drawing.submit(sampler.batch, args.batch, args.real_fraction)
    while step < args.max_steps:
        progress = max((time.time() - start) / budget, step / args.max_steps)
        if progress >= 1:
            break
        step += 1
        for group in opt_g.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * progress))
        x_hu, t_hu = (t.to(device) for t in next_batch.result())
        next_batch = drawing.submit(sampler.batch, args.batch, args.real_fraction)
        y_hu = pass_through(denorm(model(norm(x_hu))), x_hu[:, 1:2], top)
        y, t = y_hu / hu_scale, t_hu / hu_scale
        l1 = (y - t).abs().mean()
        gdl = gradient_difference(y, t)
        nps = nps_loss(y_hu, t_hu, bins)
        laa = laa_loss(y_hu, t_hu)
        loss = l1 + args.gdl_weight * gdl + args.nps_weight * nps + args.laa_weight * laa
        adv = torch.zeros(())
        adversarial = progress > 0.25
        if adversarial:
            adv = ((disc(discriminator_view(y_hu)) - 1) ** 2).mean()
            loss = loss + args.adv_weight * adv
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        d_loss = torch.zeros(())
        if progress > 0.15:
            d_loss = ((disc(discriminator_view(t_hu)) - 1) ** 2).mean() + (disc(discriminator_view(y_hu.detach())) ** 2).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        identity_l1 = float((x_hu[:, 1:2] - t_hu).abs().mean())
        for key, value in (("l1_hu", float(l1) * hu_scale), ("input_l1_hu", identity_l1), ("gdl", float(gdl)), ("nps", float(nps)), ("laa_pp", 100 * float(laa)), ("adv", float(adv)), ("d", float(d_loss))):
            running[key] = running.get(key, 0.0) + value
        if step % 100 == 0:
            log(f"step {step}: " + ", ".join(f"{k} {v / 100:.4f}" for k, v in running.items()))
            running = {}
    train_seconds = time.time() - start
    drawing.shutdown(cancel_futures=True)
    log(f"trained {step} steps in {train_seconds:.0f} s")

    model.eval()
    training_check = {}
    for pair in pairs:
        kept = slice(0, args.check_slices or None)
        model_input, soft = pair["input"][kept], pair["soft"][kept]
        output = run_volume(model, model_input, top)
        q_in, q_out = lung_window_quality(soft, model_input), lung_window_quality(soft, output)
        training_check[pair["name"]] = {"input": {k: round(v, 4) for k, v in q_in.items()}, "v3": {k: round(v, 4) for k, v in q_out.items()}}
        log(f"training half {pair['name']} (PyTorch, whole slices, seen in training): {args.input} PSNR {q_in['psnr']:.2f} MAE {q_in['mae_hu']:.2f}; v3 PSNR {q_out['psnr']:.2f} MAE {q_out['mae_hu']:.2f}")

    model.cpu()
    ops = export_onnx(model, 3, os.path.join(folder, "model.onnx"))
    flops = conv_flops_per_output_voxel(model, (1, 3, 128, 128))
    log(f"exported ONNX ops {ops}; {flops:.0f} FLOPs per output voxel")
    write_json(os.path.join(folder, "manifest.json"), manifest(args, model_id, model, pairs, calibrations, step, train_seconds, flops, training_check, seen_names, unseen, device_name(device)))
    log(f"done in {log.elapsed():.0f} s")


def onnx_weights(path, model):
    """The named initializers of an exported network, as its state dict (torch.onnx keeps parameter names)."""
    import onnx
    from onnx import numpy_helper

    stored = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    missing = [k for k in model.state_dict() if k not in stored]
    if missing:
        sys.exit(f"{path} lacks weights {missing[:3]}: not the same network")
    return {k: stored[k] for k in model.state_dict()}


def trained_v3(model_id):
    """A v3 model of models/ as a PyTorch network in eval mode (its size from the manifest: 16 x 5
    where it does not say), and its manifest."""
    folder = os.path.join(REPO, "models", model_id)
    with open(os.path.join(folder, "manifest.json")) as handle:
        manifest = json.load(handle)
    metrics = manifest["training"]["metrics"]
    model = Harmonizer(metrics.get("channels", 16), metrics.get("blocks", 5))
    model.load_state_dict(onnx_weights(os.path.join(folder, "model.onnx"), model))
    return model.eval(), manifest


def lung_window_quality(reference_hu, test_hu, window=(-1150.0, 350.0)):
    """PSNR and MAE on the lung window, as the node's compareSeries (no SSIM: it is slow here)."""
    low, high = window
    d = (reference_hu.clamp(low, high) - test_hu.clamp(low, high)).double()
    return {"psnr": 10 * math.log10((high - low) ** 2 / float((d**2).mean())), "mae_hu": float(d.abs().mean())}


def run_volume(model, input_hu, top):
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for k in range(input_hu.shape[0]):
            x = neighbour_stack(input_hu, k)[None].to(device)
            out.append(pass_through(denorm(model(norm(x))), x[:, 1:2], top)[0, 0].cpu())
    return torch.stack(out)


def device_name(device):
    return f"{torch.cuda.get_device_name(device)} (CUDA)" if device.type == "cuda" else f"CPU, {torch.get_num_threads()} thread(s)"


def pairs_of(model_id, index):
    """The pair keys a model's training saw (its manifest's pairs; every pair of the index for a model that does not record them)."""
    with open(os.path.join(REPO, "models", model_id, "manifest.json")) as handle:
        recorded = json.load(handle)["training"]["metrics"].get("pairs")
    return set(recorded.split(",")) if recorded else {e["key"] for e in index["pairs"]}


def manifest(args, model_id, model, pairs, calibrations, steps, train_seconds, flops, training_check, seen_names, unseen, trained_on_device):
    other = "caudal" if args.split == "cranial" else "cranial"
    names = ", ".join(p["name"] for p in pairs)
    via_init = [n for n in seen_names if n not in {p["name"] for p in pairs}]
    whole = args.split == "whole"
    calibration = calibrations[0] if whole else None
    trained_on = f"the whole natural pair {names}, for its calibration (the transfer it corrects)" if whole else f"the {args.split} halves of {names}; the {other} halves held out"
    real = f"the whole natural pair {names}" if whole else f"the {args.split} half of each of {names}"
    if args.input == "transfer":
        what = "Calibrated harmonizer v3: runs after the kernel-transfer step on its output and adds a learned correction (noise texture, edges, HU-dependent effects)"
        family = ["soft"]
    else:
        what = f"Blind harmonizer v3_blind: runs after the blind classical step (Gaussian {BLIND_SIGMA_MM} mm) on its output and adds a learned correction"
        family = ["sharp", "medium", "soft"]
    return calibrated_harmonizer_manifest(
        model_id=model_id,
        version=args.version,
        description=f"{what}; 2.5D residual network ({args.channels} channels, {args.blocks} residual blocks), trained on {trained_on}.",
        receptive_field=model.receptive_field,
        hu_window=HU_WINDOW,
        pass_above_hu=args.pass_above_hu,
        accepts_families=family,
        refines="kernel-transfer" if args.input == "transfer" else "gaussian-soften",
        calibration=None if calibration is None else {k: calibration[k] for k in ("manufacturer", "modelName", "sourceKernel", "targetKernel")},
        training={
            "data": f"real pairs: {real} ({args.input} output -> soft reconstruction, paired by position); simulated pairs from those soft slices" + ("" if whole else " and TCGA-DE-A4MA B30f") + ", sharpened by kernels drawn around the fitted ones and brought back by their least-squares linear filter" + ("" if args.input == "transfer" else f" (v3_blind: by the Gaussian {BLIND_SIGMA_MM} mm instead)"),
            "metrics": {
                "split": args.split,
                "calibratedOn": args.split,
                "heldOut": "none: the whole pair (npm run eval measures the same training on one half, evaluated on the other)" if whole else f"{other} halves of {', '.join(seen_names)}" + (f"; all of {', '.join(unseen)}" if unseen else "") + (f" (the {args.split} halves of {', '.join(via_init)} were seen through --init {args.init})" if via_init else ""),
                "input": args.input,
                "pairs": args.pairs,
                "seed": args.seed,
                "init": args.init,
                "steps": steps,
                "batch": args.batch,
                "trainSeconds": round(train_seconds),
                "trainedOn": trained_on_device,
                "channels": args.channels,
                "blocks": args.blocks,
                "flopsPerOutputVoxel": round(flops),
                "parameters": parameter_count(model),
                "realFraction": args.real_fraction,
                "losses": {"l1": 1, "gradientDifference": args.gdl_weight, "noisePowerSpectrum": args.nps_weight, "laa950": args.laa_weight, "adversarial": args.adv_weight},
                "trainingHalfCheck": training_check,
            },
        },
    )


if __name__ == "__main__":
    main()
