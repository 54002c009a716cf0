#!/usr/bin/python3
"""Trains the 2x in-plane super-resolution generator for one fold, evaluates it on the held-out
patient and exports models/<id>/ (model.onnx, manifest.json, train-log.txt).

    /usr/bin/python3 training/train_sr.py --fold 1     # train A0001 (L and B) + B30f, hold out A0002
    /usr/bin/python3 training/train_sr.py --fold 2     # train A0002 (B70f and B40f) + B30f, hold out A0001

No native 1024 CT exists: 512 slices are degraded to 256 (degrade.py: blur for the larger pixel,
2x2 area sampling, noise) and the network learns 256 -> 512; the node applies it at 512 -> 1024.
Loss: L1 + gradient-difference + data consistency (the output averaged 2x2 back down vs the input).
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from manifest import super_resolver_manifest  # noqa: E402
from common import REPO, Log, conv_flops_per_output_voxel, export_onnx, quality, seed_everything, write_json  # noqa: E402
from ctdata import HU_WINDOW, SERIES, fold_patients, read_series  # noqa: E402
from degrade import EVAL_BLUR_SIGMA_PX, EVAL_NOISE_HU, TRAIN_BLUR_SIGMA_PX, TRAIN_NOISE_HU, degrade  # noqa: E402
from nets import SuperResolver, parameter_count  # noqa: E402
from train_harmonize import denorm, gradient_difference, norm  # noqa: E402

LOW, HIGH = HU_WINDOW


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--fold", type=int, choices=[1, 2], required=True)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=96, help="high-resolution patch edge (input is half)")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--blocks", type=int, default=6)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--gdl-weight", type=float, default=0.5)
    p.add_argument("--dc-weight", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--id", default=None)
    return p.parse_args()


def sample(volumes, patch, n, g):
    crops = []
    for _ in range(n):
        v = volumes[int(torch.randint(len(volumes), (1,), generator=g))]
        k = int(torch.randint(v.shape[0], (1,), generator=g))
        for _ in range(20):
            y, x = (int(torch.randint(v.shape[i] - patch, (1,), generator=g)) for i in (1, 2))
            crop = v[k, y : y + patch, x : x + patch]
            if (crop > -980).float().mean() >= 0.5:
                break
        crops.append(crop)
    hr = torch.stack(crops)[:, None]
    if int(torch.randint(2, (1,), generator=g)):
        hr = hr.flip(-1)
    if int(torch.randint(2, (1,), generator=g)):
        hr = hr.transpose(-1, -2)
    return hr


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    train_patient, held_out = fold_patients(args.fold)
    model_id = args.id or f"sr2x-v1-fold{args.fold}"
    folder = os.path.join(REPO, "models", model_id)
    os.makedirs(folder, exist_ok=True)
    log = Log(os.path.join(folder, "train-log.txt"))
    log(f"command: /usr/bin/python3 training/{os.path.basename(__file__)} {' '.join(sys.argv[1:])}")
    train_keys = [f"{train_patient}-sharp", f"{train_patient}-soft", "B30f"]
    log(f"fold {args.fold}: train on {', '.join(SERIES[k] for k in train_keys)}; hold out {held_out}")
    volumes = [torch.from_numpy(read_series(k).hu) for k in train_keys]
    g = torch.Generator().manual_seed(args.seed)
    model = SuperResolver(args.channels, args.blocks)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=args.lr, betas=(0.9, 0.99))
    log(f"generator: {parameter_count(model)} parameters ({sum(p.numel() for p in trainable)} trained), receptive field {model.receptive_field} px")
    running = {}
    for step in range(1, args.steps + 1):
        for group in opt.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        hr = sample(volumes, args.patch, args.batch, g)
        blur = TRAIN_BLUR_SIGMA_PX[0] + (TRAIN_BLUR_SIGMA_PX[1] - TRAIN_BLUR_SIGMA_PX[0]) * torch.rand(args.batch, generator=g)
        noise = TRAIN_NOISE_HU[0] + (TRAIN_NOISE_HU[1] - TRAIN_NOISE_HU[0]) * torch.rand(args.batch, generator=g)
        x = norm(degrade(hr, blur, noise, g))
        t = norm(hr)
        y = model(x)
        l1 = (y - t).abs().mean()
        gdl = gradient_difference(y, t)
        dc = (F.avg_pool2d(y, 2) - x).abs().mean()
        loss = l1 + args.gdl_weight * gdl + args.dc_weight * dc
        opt.zero_grad()
        loss.backward()
        opt.step()
        for key, value in (("l1_hu", float(l1) * (HIGH - LOW) / 2), ("gdl", float(gdl)), ("dc_hu", float(dc) * (HIGH - LOW) / 2)):
            running[key] = running.get(key, 0.0) + value
        if step % 100 == 0:
            log(f"step {step}/{args.steps}: " + ", ".join(f"{k} {v / 100:.3f}" for k, v in running.items()))
            running = {}

    model.eval()
    train_seconds = log.elapsed()
    evaluation = evaluate(model, held_out, log)
    ops = export_onnx(model, 1, os.path.join(folder, "model.onnx"))
    flops = conv_flops_per_output_voxel(model, (1, 1, 64, 64))
    log(f"exported ONNX ops {ops}; {flops:.0f} FLOPs per output voxel")
    write_json(os.path.join(folder, "manifest.json"), manifest(args, model_id, model, train_patient, held_out, train_keys, train_seconds, flops, evaluation))
    log(f"done in {log.elapsed():.0f} s (training {train_seconds:.0f} s)")


def evaluate(model, held_out, log):
    """Held-out slices (both reconstructions) degraded with the evaluation setting, restored three ways."""
    g = torch.Generator().manual_seed(0)
    hr = torch.cat([torch.from_numpy(read_series(f"{held_out}-{kind}").hu) for kind in ("sharp", "soft")])[:, None]
    outputs = {"model": [], "bicubic": [], "nearest": []}
    with torch.no_grad():
        for k in range(hr.shape[0]):
            lr = degrade(hr[k : k + 1], EVAL_BLUR_SIGMA_PX, EVAL_NOISE_HU, g)
            outputs["model"].append(denorm(model(norm(lr))))
            clipped = lr.clamp(LOW, HIGH)
            outputs["bicubic"].append(F.interpolate(clipped, scale_factor=2, mode="bicubic", align_corners=False))
            outputs["nearest"].append(F.interpolate(clipped, scale_factor=2, mode="nearest"))
    result = {}
    for method, slices in outputs.items():
        result[method] = quality(hr[:, 0], torch.cat(slices)[:, 0])
        q = result[method]
        log(f"held-out {held_out} (PyTorch, {hr.shape[0]} slices) {method:8s}: PSNR {q['psnr']:.2f} dB, SSIM {q['ssim']:.4f}, MAE {q['mae_hu']:.2f} HU")
    return result


def manifest(args, model_id, model, train_patient, held_out, train_keys, train_seconds, flops, evaluation):
    return super_resolver_manifest(
        model_id=model_id,
        version=args.version,
        description=f"2x in-plane super-resolution, EDSR-style 2D network ({args.channels} channels, {args.blocks} residual blocks, pixel shuffle, bilinear skip), fold {args.fold}: trained on {train_patient} + B30f, held out {held_out}.",
        receptive_field=model.receptive_field,
        training={
            "data": f"{', '.join(SERIES[k] for k in train_keys)}: 512 slices degraded to 256 and restored",
            "metrics": {
                "fold": args.fold,
                "trainPatient": train_patient,
                "heldOut": held_out,
                "degradation": {
                    "blurSigmaPx512": EVAL_BLUR_SIGMA_PX,
                    "noiseHu": EVAL_NOISE_HU,
                    "trainBlurSigmaPx512": list(TRAIN_BLUR_SIGMA_PX),
                    "trainNoiseHu": list(TRAIN_NOISE_HU),
                    "sampling": "2x2 area average",
                },
                "seed": args.seed,
                "steps": args.steps,
                "trainSeconds": round(train_seconds),
                "flopsPerOutputVoxel": round(flops),
                "parameters": parameter_count(model),
                "pythonHeldOut": {k: {m: round(v, 4) for m, v in q.items()} for k, q in evaluation.items()},
            },
        },
    )


if __name__ == "__main__":
    main()
