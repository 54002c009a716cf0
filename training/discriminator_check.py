#!/usr/bin/python3
"""Can v3's patch discriminator tell the calibrated transfer's output from the real soft
reconstruction at all? It trains the discriminator of train_harmonize_v3.py alone (no generator),
real patches of one pair's calibration half: target = the soft reconstruction, fake = the transfer's
output at the same place, each seen as v3's training sees it ("hu": (HU + 400) / 750) and, for
comparison, high-passed ("texture": HU minus its Gaussian 1.5 px blur, / 25). It prints the
least-squares discriminator loss every 100 steps: 0.50 is a discriminator that cannot separate the
two (it outputs 0.5 for both), 0 one that always can.

    npx tsx scripts/export-v3-training-data.ts
    /usr/bin/python3 training/discriminator_check.py --pair a0002 --half caudal
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import separable_blur  # noqa: E402
from nets import PatchDiscriminator  # noqa: E402
from train_harmonize_v3 import DATA, HIGH_PASS, Sampler, discriminator_view, load  # noqa: E402

VIEWS = {
    "hu": discriminator_view,
    "texture": lambda hu: (hu - separable_blur(hu, HIGH_PASS)) / 25.0,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pair", default="a0002")
    p.add_argument("--half", default="caudal")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--data", default=DATA)
    args = p.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(args.data, "index.json")) as handle:
        index = json.load(handle)
    entry = next(e for e in index["pairs"] if e["key"] == args.pair and e["calibratedOn"] == args.half)
    shape = (entry["slices"], entry["rows"], entry["columns"])
    pair = {"input": load(args.data, entry["files"]["transfer"], *shape), "soft": load(args.data, entry["files"]["soft"], *shape), "weight": 1.0}
    for name, view in VIEWS.items():
        sampler = Sampler([pair], [], [], "transfer", 64, torch.Generator().manual_seed(1))
        torch.manual_seed(1)
        disc = PatchDiscriminator()
        opt = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.99))  # as train_harmonize_v3.py
        running = 0.0
        for step in range(1, args.steps + 1):
            transfer, soft = sampler.real(12)
            loss = ((disc(view(soft)) - 1) ** 2).mean() + (disc(view(transfer[:, 1:2])) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += float(loss)
            if step % 100 == 0:
                print(f"{entry['pair']}, {args.half} half, view {name}: step {step}, discriminator loss {running / 100:.4f}", flush=True)
                running = 0.0


if __name__ == "__main__":
    main()
