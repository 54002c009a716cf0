#!/usr/bin/python3
"""Writes untrained, random-weight generators under models/<id>/ (ONNX, manifest, model card stub).

They have the architectures that the training issue will train in PyTorch and export to ONNX, so
that the tiled inference engine and its benchmark run on networks of the real size before any
trained model exists. Their manifests say status "untrained-random-weights": no default rule may
route to them, and the node labels their output UNTRAINED. Run from the repository root:
    /usr/bin/python3 scripts/make-random-generators.py
"""
import os

import numpy as np
from onnx_builder import GraphBuilder, write_model

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
HU_WINDOW = [-1150, 350]


def residual_body(g, x, channels, blocks):
    """EDSR-style body: blocks of conv-ReLU-conv scaled by 0.1 plus skip, a conv, a long skip."""
    h = x
    for _ in range(blocks):
        r = g.op("Relu", [g.conv(h, channels, channels, 3)])
        r = g.op("Mul", [g.conv(r, channels, channels, 3), g.const(0.1)])
        h = g.op("Add", [h, r])
    return g.op("Add", [x, g.conv(h, channels, channels, 3)])


def harmonizer(channels=32, blocks=8, neighbours=1):
    g = GraphBuilder(seed=20, spatial_dims=2)
    head = g.conv("input", 2 * neighbours + 1, channels, 3)
    body = residual_body(g, head, channels, blocks)
    correction = g.conv(g.op("Relu", [body]), channels, 1, 3, gain=0.1)
    # Global residual: the network predicts a correction to the centre slice.
    starts, ends = g.name("starts"), g.name("ends")
    from onnx import numpy_helper
    g.initializers.append(numpy_helper.from_array(np.array([neighbours], dtype=np.int64), starts))
    g.initializers.append(numpy_helper.from_array(np.array([neighbours + 1], dtype=np.int64), ends))
    axes = g.name("axes")
    g.initializers.append(numpy_helper.from_array(np.array([1], dtype=np.int64), axes))
    centre = g.op("Slice", ["input", starts, ends, axes])
    out = g.op("Add", [centre, correction])
    rf = 1 + 2 * blocks + 1 + 1
    return g.model("input", 2 * neighbours + 1, out, 1, "harmonize_resnet25d"), rf


def super_resolver(channels=32, blocks=8):
    g = GraphBuilder(seed=21, spatial_dims=2)
    head = g.conv("input", 1, channels, 3)
    body = residual_body(g, head, channels, blocks)
    up = g.op("DepthToSpace", [g.conv(body, channels, 4 * channels, 3)], blocksize=2, mode="CRD")
    out = g.conv(g.op("Relu", [up]), channels, 1, 3, gain=0.1)
    # head + body + body conv + upsampling conv, then one 3x3 conv at 2x (half an input pixel, rounded up)
    rf = 1 + 2 * blocks + 1 + 1 + 1
    return g.model("input", 1, out, 1, "sr2x_edsr2d"), rf


def manifest(model_id, task, dims, rf, channels, blocks, scale=1, neighbours=0, accepts=None, output=None, label=None):
    return {
        "id": model_id,
        "version": "0.0.0-random",
        "status": "untrained-random-weights",
        "task": task,
        "description": f"UNTRAINED random-weight stand-in ({channels} channels, {blocks} residual blocks) for benchmarking only.",
        "file": "model.onnx",
        "modelCard": "README.md",
        "seriesLabel": label,
        "tensors": {"input": "input", "output": "output"},
        "dimensionality": dims,
        "neighbourSlices": neighbours,
        "accepts": accepts,
        "output": output,
        "normalization": {"huWindow": HU_WINDOW, "outsideWindow": {"method": "matched-gaussian", "sigmaRangeMm": [0.2, 3.0]} if task == "harmonize" else {"method": "interpolate"}},
        "receptiveField": {"inPlane": rf, "z": 0},
        "halo": {"inPlane": rf, "z": 0},
        # Full-width strips: two per 512x512 slice, so the halo is paid only between them.
        "tile": {"inPlane": [256, 512], "z": 1},
        "batch": 2,
        "padding": "reflect",
        "training": {"data": "none: random weights", "metrics": {}},
    }


CARD = """# {id} (UNTRAINED: random weights)

**Not a trained model.** Weights are random (seeded); the output is meaningless. It exists so that
the tiled inference engine and `npm run bench:inference` run a network of the real architecture and
size before training has produced one. Its manifest says `"status": "untrained-random-weights"`; no
default rule routes to it, and the node labels its output `-UNTRAINED`.

Regenerate: `/usr/bin/python3 scripts/make-random-generators.py`.

## Architecture (to be trained by the training issue, exported to ONNX with the same tensors)
{architecture}

- Input `input`: {input}, HU clipped to [-1150, 350] and mapped to [-1, 1].
- Output `output`: {output}, same scale.
- Receptive-field radius: {rf} input pixels (declared in the manifest; the tiler's halo equals it).
- Fully convolutional, zero padding inside; the tiler pads outside by reflection.

## Training data and metrics
None yet. The trained model's card must name its training series, its held-out patient and its
PSNR / SSIM / MAE (HU) / LAA-950 next to the baselines (see DESIGN.md).
"""


def main():
    models = []
    channels, blocks = 32, 8
    model, rf = harmonizer(channels, blocks)
    spec = manifest(
        "harmonize-resnet25d-random", "harmonize", "2.5d", rf, channels, blocks, neighbours=1,
        accepts={"modalities": ["CT"], "kernelFamilies": ["sharp", "medium"], "matrixSizes": [[512, 512]], "pixelSpacingMm": [0.4, 1.0]},
        output={"targetKernel": "B30f-like soft", "kernelFamily": "soft", "scale": {"inPlane": 1, "z": 1}},
        label="SOFT-GAN",
    )
    architecture = (
        f"2.5D residual network: 3 neighbour slices as channels -> conv3x3 to {channels} channels -> {blocks} residual "
        f"blocks (conv3x3, ReLU, conv3x3, x0.1, + skip) -> conv3x3 + long skip -> ReLU -> conv3x3 to 1 channel, "
        "added to the centre slice (the network predicts a correction)."
    )
    models.append((model, spec, architecture, "N x 3 x H x W (slices z-1, z, z+1)", "N x 1 x H x W"))
    channels, blocks = 32, 8
    model, rf = super_resolver(channels, blocks)
    spec = manifest(
        "sr2x-edsr2d-random", "superres", "2d", rf, channels, blocks,
        accepts={"modalities": ["CT"], "matrixSizes": [[512, 512]], "pixelSpacingMm": [0.4, 1.0]},
        output={"scale": {"inPlane": 2, "z": 1}},
        label="SR2X-GAN",
    )
    architecture = (
        f"EDSR-style 2D network: conv3x3 to {channels} channels -> {blocks} residual blocks (conv3x3, ReLU, conv3x3, "
        f"x0.1, + skip) -> conv3x3 + long skip -> conv3x3 to {4 * channels} channels -> DepthToSpace(2) (pixel "
        "shuffle) -> ReLU -> conv3x3 to 1 channel at twice the resolution."
    )
    models.append((model, spec, architecture, "N x 1 x H x W", "N x 1 x 2H x 2W"))
    for model, spec, architecture, shape_in, shape_out in models:
        folder = os.path.join(ROOT, spec["id"])
        path = write_model(folder, model, spec)
        card = CARD.format(id=spec["id"], architecture=architecture, input=shape_in, output=shape_out, rf=spec["receptiveField"]["inPlane"])
        with open(os.path.join(folder, "README.md"), "w") as handle:
            handle.write(card)
        print(f"{path}: {os.path.getsize(path)} bytes, receptive field {spec['receptiveField']['inPlane']}")


if __name__ == "__main__":
    main()
