#!/usr/bin/python3
"""Trains the sharp-to-soft kernel harmonizer for one fold, evaluates it on the held-out patient and
exports models/<id>/ (model.onnx, manifest.json, kernel-fit.json, train-log.txt).

    /usr/bin/python3 training/train_harmonize.py --fold 1     # train A0001 (Philips L->B), hold out A0002
    /usr/bin/python3 training/train_harmonize.py --fold 2     # train A0002 (Siemens B70f->B40f), hold out A0001
    /usr/bin/python3 training/train_harmonize.py --fold 1 --arch adaptive --real-fraction 0.25 --steps 5000   # harmonize-v2

Each batch mixes real pairs of the training patient (sharp slices z-1, z, z+1 -> soft slice z,
paired by ImagePositionPatient; --real-fraction, half for v1 and a quarter for v2) with simulated
pairs: soft slices (the training patient's soft series and the TCGA B30f series) made sharp by the
kernel model fitted to the training pair (kernel_model.py) with a random strength, frequency
stretch and noise level, so that the model sees many kernels. Loss: L1 + gradient-difference + least-squares adversarial (patch discriminator).
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from manifest import harmonizer_manifest  # noqa: E402
from common import REPO, Log, conv_flops_per_output_voxel, crop_origin, export_onnx, gaussian_soften, gradient_difference, neighbour_stack, quality, random_dihedral, seed_everything, tune_gaussian_sigma, window_scaling, write_json  # noqa: E402
from ctdata import HU_WINDOW, SOFT_KERNEL_LABEL, fold_patients, paired, read_series  # noqa: E402
from kernel_model import fit_kernel_pair, simulate_sharp  # noqa: E402
from nets import AdaptiveHarmonizer, Harmonizer, PatchDiscriminator, parameter_count  # noqa: E402

LOW, HIGH = HU_WINDOW


norm, denorm = window_scaling(HU_WINDOW)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--fold", type=int, choices=[1, 2], required=True)
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=64)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--blocks", type=int, default=5)
    p.add_argument("--arch", choices=["resnet", "adaptive"], default="resnet", help="resnet: harmonize-v1; adaptive: harmonize-v2 (blur bank chosen per pixel)")
    p.add_argument("--real-fraction", type=float, default=0.5, help="share of each batch from the real training pair; the rest is simulated")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--adv-weight", type=float, default=0.003)
    p.add_argument("--gdl-weight", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--version", default=None)
    p.add_argument("--id", default=None)
    return p.parse_args()


class Sampler:
    """Random training patches: real pairs and simulated pairs, as N x 3 x P x P inputs and N x 1 x P x P targets (HU)."""

    MARGIN = 16  # context cropped around simulated patches so the FFT's wrap-around stays outside

    def __init__(self, sharp, soft, soft_sources, fit, patch, generator):
        self.sharp, self.soft, self.sources, self.fit = sharp, soft, soft_sources, fit
        self.patch, self.g = patch, generator

    def _int(self, high):
        return int(torch.randint(high, (1,), generator=self.g))

    def _uniform(self, low, high, n):
        return low + (high - low) * torch.rand(n, generator=self.g)

    def _crop_origin(self, volume, k, size):
        return crop_origin(volume, k, size, self._int)

    def real(self, n):
        inputs, targets = [], []
        for _ in range(n):
            k = self._int(self.sharp.shape[0])
            y, x = self._crop_origin(self.soft, k, self.patch)
            s = slice(y, y + self.patch), slice(x, x + self.patch)
            inputs.append(neighbour_stack(self.sharp, k, 1)[:, s[0], s[1]])
            targets.append(self.soft[k : k + 1, s[0], s[1]])
        return torch.stack(inputs), torch.stack(targets)

    def simulated(self, n):
        size = self.patch + 2 * self.MARGIN
        softs = []
        for _ in range(n):
            volume, strides = self.sources[self._int(len(self.sources))]
            stride = strides[self._int(len(strides))]
            k = self._int(volume.shape[0])
            y, x = self._crop_origin(volume, k, size)
            softs.append(neighbour_stack(volume, k, stride)[:, y : y + size, x : x + size])
        soft = torch.stack(softs)
        # Log-uniform kernel strength (exponent on the fitted transfer function), frequency stretch
        # (other pixel sizes) and noise amplitude, a factor of about 2 either way of the training pair.
        gamma = torch.exp(self._uniform(math.log(0.5), math.log(2.0), n))
        stretch = torch.exp(self._uniform(math.log(0.75), math.log(1.33), n))
        noise = torch.exp(self._uniform(math.log(0.4), math.log(2.5), n))
        sharp = simulate_sharp(soft, self.fit, gamma, stretch, noise, self.g)
        m = slice(self.MARGIN, self.MARGIN + self.patch)
        return sharp[:, :, m, m], soft[:, 1:2, m, m]

    def batch(self, n, real_fraction):
        n_real = round(n * real_fraction)
        ri, rt = self.real(n_real)
        si, st = self.simulated(n - n_real)
        x, t = random_dihedral(torch.cat([ri, si]), torch.cat([rt, st]), self._int)
        return norm(x), norm(t)


def run_volume(model, sharp_hu):
    """Whole slices through the model (z neighbours replicated at the ends)."""
    out = []
    with torch.no_grad():
        for k in range(sharp_hu.shape[0]):
            stack = neighbour_stack(sharp_hu, k, 1)[None]
            out.append(denorm(model(norm(stack)))[0, 0])
    return torch.stack(out)


ADAPTATION_GAMMAS = (0.5, 0.66, 1.0, 1.5)


def adaptation_check(model, soft, fit, spacing_mm, seed, log):
    """Training data only: slices of the training patient's soft series made sharp by the kernel
    model at several strengths (no noise scaling, no stretch), the model vs the Gaussian whose sigma
    is best for that very strength (an oracle). A model that reads the input kernel from the image
    should match or beat the oracle at every strength; a fixed filter can only match one."""
    generator = torch.Generator().manual_seed(seed + 100)
    centre = list(range(10, 18))
    stacks = torch.stack([neighbour_stack(soft, k, 1) for k in centre])
    target = soft[centre]
    n = len(centre)
    rows = {}
    for gamma in ADAPTATION_GAMMAS:
        sharp = simulate_sharp(stacks, fit, torch.full((n,), gamma), torch.ones(n), torch.ones(n), generator)
        with torch.no_grad():
            output = denorm(model(norm(sharp)))[:, 0]
        scores = {round(0.1 * k, 1): quality(target, gaussian_soften(sharp[:, 1], 0.1 * k, spacing_mm))["ssim"] for k in range(2, 21)}
        sigma = max(scores, key=scores.get)
        rows[str(gamma)] = {"modelSsim": round(quality(target, output)["ssim"], 4), "oracleGaussianSsim": round(scores[sigma], 4), "oracleSigmaMm": sigma}
        log(f"adaptation check (training patient, simulated strength {gamma}): model SSIM {rows[str(gamma)]['modelSsim']:.4f}, best Gaussian ({sigma} mm) {scores[sigma]:.4f}")
    return rows


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    train_patient, held_out = fold_patients(args.fold)
    generation = {"resnet": 1, "adaptive": 2}[args.arch]
    args.version = args.version or f"{generation}.0.0"
    model_id = args.id or f"harmonize-v{generation}-fold{args.fold}"
    folder = os.path.join(REPO, "models", model_id)
    os.makedirs(folder, exist_ok=True)
    log = Log(os.path.join(folder, "train-log.txt"))
    log(f"command: /usr/bin/python3 training/{os.path.basename(__file__)} {' '.join(sys.argv[1:])}")
    log(f"fold {args.fold}: train {train_patient} (+ simulated from {train_patient}-soft and B30f), hold out {held_out}")

    sharp_s, soft_s = paired(train_patient)
    b30f = read_series("B30f")
    sharp, soft = torch.from_numpy(sharp_s.hu), torch.from_numpy(soft_s.hu)
    fit = fit_kernel_pair(sharp_s.hu, soft_s.hu)
    write_json(os.path.join(folder, "kernel-fit.json"), {"fittedOn": f"{train_patient} {sharp_s.kernel}->{soft_s.kernel}", **fit})
    log(f"kernel model fitted on {train_patient} {sharp_s.kernel}->{soft_s.kernel}: peak transfer {max(fit['transfer']):.2f}, residual noise {fit['noise_std_hu']:.1f} HU")
    sigma_mm, sigma_ssim = tune_gaussian_sigma(sharp, soft, sharp_s.spacing[0], log)

    # Neighbour slices 5-8 mm apart, as in the real pairs: the B30f series (2.5 mm) uses a stride of 2 or 3.
    sources = [(soft, [1]), (torch.from_numpy(b30f.hu), [2, 3])]
    generator = torch.Generator().manual_seed(args.seed)
    sampler = Sampler(sharp, soft, sources, fit, args.patch, generator)

    model = Harmonizer(args.channels, args.blocks) if args.arch == "resnet" else AdaptiveHarmonizer(args.channels)
    disc = PatchDiscriminator()
    opt_g = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.99))
    schedule = lambda step: 0.5 * (1 + math.cos(math.pi * step / args.steps))  # noqa: E731
    adv_start = args.steps // 5
    log(f"generator: {parameter_count(model)} parameters, receptive field {model.receptive_field} px; discriminator {parameter_count(disc)}")
    running = {}
    for step in range(1, args.steps + 1):
        for group in opt_g.param_groups:
            group["lr"] = args.lr * schedule(step)
        x, t = sampler.batch(args.batch, args.real_fraction)
        y = model(x)
        l1 = (y - t).abs().mean()
        gdl = gradient_difference(y, t)
        loss = l1 + args.gdl_weight * gdl
        adv = torch.zeros(())
        if step > adv_start:
            adv = ((disc(y) - 1) ** 2).mean()
            loss = loss + args.adv_weight * adv
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        d_loss = torch.zeros(())
        if step > adv_start // 2:
            d_loss = ((disc(t) - 1) ** 2).mean() + (disc(y.detach()) ** 2).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        for key, value in (("l1_hu", float(l1) * (HIGH - LOW) / 2), ("gdl", float(gdl)), ("adv", float(adv)), ("d", float(d_loss))):
            running[key] = running.get(key, 0.0) + value
        if step % 100 == 0:
            log(f"step {step}/{args.steps}: " + ", ".join(f"{k} {v / 100:.4f}" for k, v in running.items()))
            running = {}

    model.eval()
    train_seconds = log.elapsed()
    adaptation = adaptation_check(model, soft, fit, sharp_s.spacing[0], args.seed, log)
    sharp_h, soft_h = paired(held_out)
    held_sharp, held_soft = torch.from_numpy(sharp_h.hu), torch.from_numpy(soft_h.hu)
    evaluation = {
        "model": quality(held_soft, run_volume(model, held_sharp)),
        "input": quality(held_soft, held_sharp),
        "gaussian": quality(held_soft, gaussian_soften(held_sharp, sigma_mm, sharp_h.spacing[0])),
    }
    for method, q in evaluation.items():
        log(f"held-out {held_out} {sharp_h.kernel}->{soft_h.kernel} (PyTorch, whole slices) {method:8s}: PSNR {q['psnr']:.2f} dB, SSIM {q['ssim']:.4f}, MAE {q['mae_hu']:.2f} HU")

    ops = export_onnx(model, 3, os.path.join(folder, "model.onnx"))
    flops = conv_flops_per_output_voxel(model, (1, 3, 128, 128))
    log(f"exported ONNX ops {ops}; {flops:.0f} FLOPs per output voxel")
    write_json(os.path.join(folder, "manifest.json"), manifest(args, model_id, model, train_patient, held_out, sharp_s, soft_s, sigma_mm, sigma_ssim, train_seconds, flops, evaluation, adaptation))
    log(f"done in {log.elapsed():.0f} s (training {train_seconds:.0f} s)")


def manifest(args, model_id, model, train_patient, held_out, sharp_s, soft_s, sigma_mm, sigma_ssim, train_seconds, flops, evaluation, adaptation):
    architecture = (
        f"2.5D residual network ({args.channels} channels, {args.blocks} residual blocks)"
        if args.arch == "resnet"
        else f"2.5D adaptive blur-bank network ({args.channels} channels, dilated residual blocks, {len(AdaptiveHarmonizer.SIGMAS_PX)} Gaussian widths mixed per pixel)"
    )
    return harmonizer_manifest(
        model_id=model_id,
        version=args.version,
        description=f"Sharp-to-soft kernel harmonizer, {architecture}, fold {args.fold}: trained on {train_patient}, held out {held_out}.",
        receptive_field=model.receptive_field,
        target_kernel=SOFT_KERNEL_LABEL[train_patient],
        training={
            "data": f"real pairs {train_patient} {sharp_s.kernel}->{soft_s.kernel} (by ImagePositionPatient) + simulated pairs from {train_patient} {soft_s.kernel} and TCGA-DE-A4MA B30f",
            "metrics": {
                "fold": args.fold,
                "trainPatient": train_patient,
                "heldOut": held_out,
                "gaussianSigmaMm": sigma_mm,
                "trainPixelSpacingMm": sharp_s.spacing[1],
                "gaussianSigmaTunedOn": f"{train_patient} {sharp_s.kernel}->{soft_s.kernel} (SSIM {sigma_ssim:.4f})",
                "seed": args.seed,
                "steps": args.steps,
                "trainSeconds": round(train_seconds),
                "flopsPerOutputVoxel": round(flops),
                "parameters": parameter_count(model),
                "realFraction": args.real_fraction,
                "adaptationCheck": adaptation,
                "pythonHeldOut": {k: {m: round(v, 4) for m, v in q.items()} for k, q in evaluation.items()},
            },
        },
    )


if __name__ == "__main__":
    main()
