#!/usr/bin/python3
"""Writes the tiny ONNX fixtures for the tiler tests under test/fixtures/models/<id>/.

Each model is fully convolutional with a receptive field known by construction (written into its
manifest), deterministic (fixed seeds) and a few kilobytes. Run from the repository root:
    /usr/bin/python3 scripts/make-test-models.py
"""
import os

from onnx_builder import GraphBuilder, write_model

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "models")


OUTSIDE_WINDOW = {"harmonize": {"method": "matched-gaussian", "sigmaRangeMm": [0.2, 3.0]}, "superres": {"method": "interpolate"}}


def manifest(model_id, task, dims, rf, scale=(1, 1), neighbours=0, tile=(16, 1)):
    return {
        "id": model_id,
        "version": "1.0.0",
        "status": "test-fixture",
        "task": task,
        "description": f"Test fixture: random-weight {dims} network with a receptive field of {rf[0]} pixels in-plane, {rf[1]} slices in z.",
        "file": "model.onnx",
        "tensors": {"input": "input", "output": "output"},
        "dimensionality": dims,
        "neighbourSlices": neighbours,
        "accepts": {"modalities": ["CT"], "pixelSpacingMm": [0.1, 5.0]},
        "output": {"targetKernel": "none (fixture)", "scale": {"inPlane": scale[0], "z": scale[1]}},
        "normalization": {"huWindow": [-1150, 350], "outsideWindow": OUTSIDE_WINDOW[task]},
        "receptiveField": {"inPlane": rf[0], "z": rf[1]},
        "halo": {"inPlane": rf[0], "z": rf[1]},
        "tile": {"inPlane": tile[0], "z": tile[1]},
        "batch": 4,
        "padding": "reflect",
    }


def model_2d():
    g = GraphBuilder(seed=1, spatial_dims=2)
    h = g.op("Relu", [g.conv("input", 1, 6, 3)])
    h = g.op("Relu", [g.conv(h, 6, 6, 3, dilation=2)])
    out = g.op("Add", ["input", g.conv(h, 6, 1, 3, gain=0.5)])
    # radius 1 + 2 + 1
    return g.model("input", 1, out, 1, "test_2d_rf4"), manifest("test-2d-rf4", "harmonize", "2d", (4, 0))


def model_25d():
    g = GraphBuilder(seed=2, spatial_dims=2)
    h = g.op("Relu", [g.conv("input", 3, 6, 3)])
    h = g.op("Relu", [g.conv(h, 6, 6, 3)])
    out = g.conv(h, 6, 1, 3, gain=0.5)
    return g.model("input", 3, out, 1, "test_25d_rf3"), manifest("test-25d-rf3", "harmonize", "2.5d", (3, 0), neighbours=1)


def model_3d():
    g = GraphBuilder(seed=3, spatial_dims=3)
    h = g.op("Relu", [g.conv("input", 1, 4, 3)])
    h = g.op("Relu", [g.conv(h, 4, 4, 3, dilation=[1, 2, 2])])
    out = g.op("Add", ["input", g.conv(h, 4, 1, 3, gain=0.5)])
    # in-plane radius 1 + 2 + 1, z radius 1 + 1 + 1
    return g.model("input", 1, out, 1, "test_3d_rf4x3"), manifest("test-3d-rf4x3", "harmonize", "3d", (4, 3), tile=(16, 4))


def model_sr2d():
    g = GraphBuilder(seed=4, spatial_dims=2)
    h = g.op("Relu", [g.conv("input", 1, 8, 3)])
    h = g.conv(h, 8, 4, 3)
    h = g.op("DepthToSpace", [h], blocksize=2, mode="CRD")
    out = g.conv(h, 1, 1, 3)
    # radius 1 + 1 at input resolution, then 1 output pixel = 0.5 input pixel: 2.5, rounded up
    return g.model("input", 1, out, 1, "test_sr2d_rf3"), manifest("test-sr2d-rf3", "superres", "2d", (3, 0), scale=(2, 1))


def model_sr3d():
    g = GraphBuilder(seed=5, spatial_dims=3)
    h = g.op("Relu", [g.conv("input", 1, 4, 3)])
    out = g.conv_transpose(h, 4, 1, [2, 2, 2])
    return g.model("input", 1, out, 1, "test_sr3d_rf1"), manifest("test-sr3d-rf1", "superres", "3d", (1, 1), scale=(2, 2), tile=(16, 4))


def main():
    for build in (model_2d, model_25d, model_3d, model_sr2d, model_sr3d):
        model, spec = build()
        path = write_model(os.path.join(ROOT, spec["id"]), model, spec)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
