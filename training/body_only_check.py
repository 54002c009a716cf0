#!/usr/bin/python3
"""Whether a v3 model's correction should stop at the patient's body (manifest bodyOnly), decided on
the half it was trained on (its calibration half: npm run eval never evaluates it there).

    /usr/bin/python3 training/body_only_check.py [--write] harmonize-v3-a0002-caudal ...
    /usr/bin/python3 training/body_only_check.py --data var/v3-site --write harmonize-v3-site   # a site's own

For each model: the PyTorch output on its training halves (the export of
scripts/export-v3-training-data.ts), with the correction everywhere and with it inside the body
only, as the node does it (src/imaging/body-mask.ts: the largest 4-connected region above -500 HU,
holes filled, 2 px more, faded out over 4). The lung-window MAE of both, pooled over the model's
pairs; --write sets bodyOnly in the manifest where the body-only output has the lower MAE, and notes
it in the train-log. Outside the body a network may learn something real (noise in the air that a
linear transfer leaves, where the soft reconstruction truncates at -1024 HU) or only a side-effect
(a lung correction that shifts all air alike, as it cannot tell the air around the patient from the
lung's), and which one differs by scanner: the calibration half shows which.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, write_json  # noqa: E402
from node_filters import body_weight  # noqa: E402
from train_harmonize_v3 import DATA, load, lung_window_quality, run_volume, trained_v3  # noqa: E402


def trained_pairs(model_id, metrics, index):
    """The keys of the pairs a model trained on: as its manifest records them, or by its id (a
    per-calibration model of the evaluation names its pair, -without-<pair> leaves one out); else
    (v3_shared, v3_blind, a site's own model) every pair of its half in --data."""
    if metrics.get("pairs"):
        return metrics["pairs"].split(",")
    everything = sorted({e["key"] for e in index["pairs"]})
    own = re.fullmatch(r"harmonize-v3-(a0001|a0002|toshiba)-(cranial|caudal)", model_id)
    if own:
        return [own.group(1)]
    left_out = re.search(r"-without-(a0001|a0002|toshiba)$", model_id)
    return [k for k in everything if not left_out or k != left_out.group(1)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("models", nargs="+")
    p.add_argument("--write", action="store_true")
    p.add_argument("--data", default=DATA)
    args = p.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(args.data, "index.json")) as handle:
        index = json.load(handle)
    for model_id in args.models:
        folder = os.path.join(REPO, "models", model_id)
        model, manifest = trained_v3(model_id)
        metrics = manifest["training"]["metrics"]
        through = manifest["normalization"]["outsideWindow"]
        top = min(through.get("aboveHu", 1850.0), 1850.0)
        keys = trained_pairs(model_id, metrics, index)
        sums = {"everywhere": 0.0, "body only": 0.0}
        voxels = 0
        air = {"input": 0.0, "v3": 0.0, "voxels": 0}
        for entry in index["pairs"]:
            if entry["calibratedOn"] != metrics["calibratedOn"] or entry["key"] not in keys:
                continue
            shape = (entry["slices"], entry["rows"], entry["columns"])
            x = load(args.data, entry["files"][metrics["input"]], *shape)
            soft = load(args.data, entry["files"]["soft"], *shape)
            y = run_volume(model, x, top)
            w = torch.from_numpy(np.stack([body_weight(s) for s in x.numpy()]))
            for name, out in (("everywhere", y), ("body only", x + w * (y - x))):
                sums[name] += lung_window_quality(soft, out)["mae_hu"] * x.numel()
            voxels += x.numel()
            outside = (w == 0) & (soft > -1500)  # the air around the patient, not the padding
            air["input"] += float((x - soft)[outside].sum())
            air["v3"] += float((y - soft)[outside].sum())
            air["voxels"] += int(outside.sum())
        mae = {k: v / voxels for k, v in sums.items()}
        body_only = mae["body only"] < mae["everywhere"]
        line = f"bodyOnly check on the training halves ({', '.join(keys)}; training/body_only_check.py): lung-window MAE {mae['everywhere']:.3f} HU with the correction everywhere, {mae['body only']:.3f} inside the body only: bodyOnly {str(body_only).lower()}"
        print(f"{model_id}: {line}")
        share = air["voxels"] / voxels
        print(f"  air around the patient ({100 * share:.0f} % of the voxels): mean error against the soft reconstruction {air['input'] / air['voxels']:+.2f} HU in the input ({metrics['input']}), {air['v3'] / air['voxels']:+.2f} in v3's output")
        if args.write:
            if body_only:
                through["bodyOnly"] = True
            else:
                through.pop("bodyOnly", None)
            write_json(os.path.join(folder, "manifest.json"), manifest)
            with open(os.path.join(folder, "train-log.txt"), "a") as handle:
                handle.write(f"[ after ] {line}\n")


if __name__ == "__main__":
    main()
