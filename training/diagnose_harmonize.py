#!/usr/bin/python3
"""Where the harmonizers' LAA-950 error comes from (the figures in docs/models.md, "Why"):

    /usr/bin/python3 training/diagnose_harmonize.py

1. For each real pair, the LAA-950 difference of the node's Gaussian at several sigmas (mm): which
   amount of smoothing each vendor's sharp-to-soft pair needs.
2. Every committed harmonizer on both patients, its training patient and its held-out one
   (PyTorch, whole slices, weights read from model.onnx): LAA-950 difference and SSIM.
This reads held-out data: it explains results, it must not be used to choose anything in training.
The lung mask and LAA-950 follow src/imaging/lung-mask.ts and metrics.ts.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, gaussian_soften, quality  # noqa: E402
from ctdata import paired  # noqa: E402
from nets import AdaptiveHarmonizer, Harmonizer  # noqa: E402
from train_harmonize import run_volume  # noqa: E402

SIGMAS_MM = (0.4, 0.6, 0.8, 1.0, 1.2, 1.5)


def lung_mask(hu, air_threshold=-320.0, second_fraction=0.2):
    """Air below the threshold, minus air connected to the in-plane border, the largest one or two
    6-connected components, holes filled slice by slice."""
    air = hu < air_threshold
    labels, count = ndimage.label(air, structure=ndimage.generate_binary_structure(3, 1))
    border = set(np.unique(np.concatenate([labels[:, 0].ravel(), labels[:, -1].ravel(), labels[:, :, 0].ravel(), labels[:, :, -1].ravel()])))
    sizes = ndimage.sum(air, labels, range(1, count + 1))
    inside = [k + 1 for k in np.argsort(-sizes) if (k + 1) not in border]
    keep = inside[:1] + [k for k in inside[1:2] if sizes[k - 1] >= second_fraction * sizes[inside[0] - 1]]
    mask = np.isin(labels, keep)
    return np.stack([ndimage.binary_fill_holes(s) for s in mask])


def laa950(hu, mask):
    return 100.0 * float((hu[mask] < -950).mean())


def load_harmonizer(model_id):
    with open(os.path.join(REPO, "models", model_id, "manifest.json")) as handle:
        manifest = json.load(handle)
    model = AdaptiveHarmonizer(16) if "adaptive blur-bank" in manifest["description"] else Harmonizer(16, 5)
    graph = onnx.load(os.path.join(REPO, "models", model_id, "model.onnx")).graph
    state = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer if not i.name.startswith("/")}
    model.load_state_dict(state)
    model.eval()
    return model, manifest["training"]["metrics"]["trainPatient"]


def main():
    torch.set_num_threads(2)
    models = sorted(m for m in os.listdir(os.path.join(REPO, "models")) if m.startswith("harmonize-v"))
    loaded = {m: load_harmonizer(m) for m in models}
    for patient in ("A0001", "A0002"):
        sharp, soft = paired(patient)
        mask = lung_mask(soft.hu)
        reference = laa950(soft.hu, mask)
        print(f"{patient} {sharp.kernel}->{soft.kernel}: reference LAA-950 {reference:.2f} %, input {laa950(sharp.hu, mask) - reference:+.2f} pp")
        sweep = ", ".join(f"{s} mm {laa950(gaussian_soften(sharp.hu, s, sharp.spacing[0]).numpy(), mask) - reference:+.2f}" for s in SIGMAS_MM)
        print(f"  gaussian LAA-950 diff (pp) by sigma: {sweep}")
        for model_id, (model, train_patient) in loaded.items():
            output = run_volume(model, torch.from_numpy(sharp.hu))
            role = "its training patient" if train_patient == patient else "held out"
            ssim = quality(torch.from_numpy(soft.hu), output)["ssim"]
            print(f"  {model_id:20s} ({role:20s}): LAA-950 diff {laa950(output.numpy(), mask) - reference:+.2f} pp, SSIM {ssim:.4f}")


if __name__ == "__main__":
    main()
