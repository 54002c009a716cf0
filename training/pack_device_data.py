#!/usr/bin/python3
"""Packs var/v3-training/ (export-v3-training-data.ts) small enough to travel to a GPU machine that
takes at most 64 MiB with the repository, and that has no Node to make it there.

    /usr/bin/python3 training/pack_device_data.py [--out var/v3-device] [--simulation-slices 180]
    /usr/bin/python3 training/train_harmonize_v3.py --data var/v3-device --device cuda ...

Soft slices are stored as int16 (they are integer HU, so exactly), the transfer's output rounded
to whole HU (0.5 HU at most from the float32 the node computes, against 20-60 HU of noise), each
volume cropped to the box around the patient's body in any of its slices (above -500 HU, 48 px
more; the training patches are drawn mostly inside the body anyway) and xz compressed. The sharp slices do not travel: the one thing training reads them for, the kernel model
of each half (kernel_model.fit_kernel_pair), is fitted here on them and stored in the index. The
blind inputs do not travel (the GPU runs train the transfer-input v3 only). Of the TCGA B30f
simulation source the middle --simulation-slices contiguous slices travel (the index records which):
the whole 269 would not fit.
"""
import argparse
import json
import lzma
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_model import fit_kernel_pair  # noqa: E402
from paths import REPO  # noqa: E402

BODY_HU = -500.0
CROP_MARGIN_PX = 48


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.path.join(REPO, "var", "v3-training"))
    p.add_argument("--out", default=os.path.join(REPO, "var", "v3-device"))
    p.add_argument("--simulation-slices", type=int, default=130)
    return p.parse_args()


def read_f32(folder, name, shape):
    return np.fromfile(os.path.join(folder, name), dtype="<f4").reshape(shape)


def body_box(*volumes):
    """Rows and columns [y0, y1, x0, x1) around everything above BODY_HU in any slice, CROP_MARGIN_PX more."""
    inside = np.zeros(volumes[0].shape[1:], bool)
    for volume in volumes:
        inside |= (volume > BODY_HU).any(axis=0)
    ys, xs = np.nonzero(inside.any(axis=1))[0], np.nonzero(inside.any(axis=0))[0]
    h, w = inside.shape
    return [max(int(ys[0]) - CROP_MARGIN_PX, 0), min(int(ys[-1]) + CROP_MARGIN_PX + 1, h), max(int(xs[0]) - CROP_MARGIN_PX, 0), min(int(xs[-1]) + CROP_MARGIN_PX + 1, w)]


def write_i16(folder, name, hu):
    values = np.round(hu.astype(np.float64))
    if values.min() < -32768 or values.max() > 32767:
        sys.exit(f"{name}: HU does not fit int16")
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(lzma.compress(values.astype("<i2").tobytes(), preset=6))
    return {"dtype": "<i2", "scale": 1.0, "compression": "xz"}


def cropped(entry, box):
    y0, y1, x0, x1 = box
    return {"rows": y1 - y0, "columns": x1 - x0, "crop": box, "uncropped": [entry["rows"], entry["columns"]]}


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.data, "index.json")) as handle:
        index = json.load(handle)
    pairs = []
    for entry in index["pairs"]:
        shape = (entry["slices"], entry["rows"], entry["columns"])
        stem = f"{entry['key']}-{entry['calibratedOn']}"
        soft = read_f32(args.data, entry["files"]["soft"], shape)
        transfer = read_f32(args.data, entry["files"]["transfer"], shape)
        fit = fit_kernel_pair(read_f32(args.data, entry["files"]["sharp"], shape), soft)
        box = body_box(soft, transfer)
        y0, y1, x0, x1 = box
        files = {"soft": f"{stem}-soft.i16.xz", "transfer": f"{stem}-transfer.i16.xz"}
        encodings = {files["soft"]: write_i16(args.out, files["soft"], soft[:, y0:y1, x0:x1]), files["transfer"]: write_i16(args.out, files["transfer"], transfer[:, y0:y1, x0:x1])}
        pairs.append({**entry, **cropped(entry, box), "files": files, "encodings": encodings, "fit": fit})
        print(f"{stem}: {entry['slices']} slices, crop {box}; kernel model (fitted on the whole slices) residual noise {fit['noise_std_hu']:.1f} HU")
    sources = []
    for source in index["simulationSources"]:
        shape = (source["slices"], source["rows"], source["columns"])
        kept = min(args.simulation_slices, source["slices"])
        first = (source["slices"] - kept) // 2
        hu = read_f32(args.data, source["file"], shape)[first : first + kept]
        box = body_box(hu)
        y0, y1, x0, x1 = box
        name = source["file"].replace(".f32", ".i16.xz")
        encoding = write_i16(args.out, name, hu[:, y0:y1, x0:x1])
        sources.append({**source, **cropped(source, box), "file": name, "slices": kept, "z": source["z"][first : first + kept], "encodings": {name: encoding}, "keptSlices": [first, first + kept], "of": source["slices"]})
        print(f"{source['name']}: slices {first}..{first + kept - 1} of {source['slices']}, crop {box}")
    with open(os.path.join(args.out, "index.json"), "w") as handle:
        json.dump({"pairs": pairs, "simulationSources": sources, "packedFrom": os.path.relpath(args.data, REPO)}, handle)
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"{args.out}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
