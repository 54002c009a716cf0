"""The node's classical filters, quality measure and body weight in numpy/scipy, the same numbers as
its TypeScript (src/imaging/gaussian-soften.ts, src/imaging/metrics.ts, src/imaging/body-mask.ts; a CI
test holds them equal):

    python3 training/node_filters.py <in.f32> <rows> <columns> <sigma_mm> <spacing_mm>
prints JSON with the Gaussian of the slice (rows x columns float32, little endian), SSIM of the slice
against it and the slice's body weight, for the parity test.
"""
import json
import math
import sys

import numpy as np
from scipy import ndimage
from scipy.ndimage import correlate1d


def node_gaussian_kernel(sigma_px):
    """gaussianKernel: radius max(1, ceil(4 sigma)), normalised."""
    radius = max(1, math.ceil(4 * sigma_px))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(x**2) / (2 * sigma_px**2))
    return k / k.sum()


def gaussian_soften(hu, sigma_mm, spacing_mm):
    """The node's Gaussian baseline on slices x H x W (square pixels, edges replicated)."""
    k = node_gaussian_kernel(sigma_mm / spacing_mm)
    a = np.asarray(hu, dtype=np.float32)
    return correlate1d(correlate1d(a, k, axis=2, mode="nearest"), k, axis=1, mode="nearest").astype(np.float32)


def _ssim_kernel():
    x = np.arange(11, dtype=np.float64) - 5
    k = np.exp(-(x**2) / (2 * 1.5**2))
    return k / k.sum()


def ssim_per_slice(reference_hu, test_hu, window=(-1150.0, 350.0)):
    """ssim: window clipped to [0, 1], Gaussian 11 / 1.5, valid mode, mean of the map; one value per slice."""
    low, high = window
    a = (np.clip(np.asarray(reference_hu, dtype=np.float64), low, high) - low) / (high - low)
    b = (np.clip(np.asarray(test_hu, dtype=np.float64), low, high) - low) / (high - low)
    k = _ssim_kernel()

    def blur(v):
        return correlate1d(correlate1d(v, k, axis=2, mode="constant"), k, axis=1, mode="constant")[:, 5:-5, 5:-5]

    mx, my = blur(a), blur(b)
    vx, vy, cxy = blur(a * a) - mx * mx, blur(b * b) - my * my, blur(a * b) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(axis=(1, 2))


BODY_ABOVE_HU = -500.0
MARGIN_PX, RAMP_PX = 2, 4


def body_weight(slice_hu):
    """bodyWeight(bodyMask(slice)) of src/imaging/body-mask.ts for one slice: 1 on the largest 4-connected
    region above -500 HU with its holes filled and MARGIN_PX beyond, falling to 0 over RAMP_PX more."""
    inside = slice_hu > BODY_ABOVE_HU
    labels, count = ndimage.label(inside)
    if count == 0:
        return np.zeros(slice_hu.shape, np.float32)
    sizes = ndimage.sum(inside, labels, range(1, count + 1))
    body = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))
    weight = body.astype(np.float32)
    reached = body
    square = np.ones((3, 3), bool)
    for step in range(1, MARGIN_PX + RAMP_PX + 1):
        grown = ndimage.binary_dilation(reached, square)
        weight[grown & ~reached] = 1.0 if step <= MARGIN_PX else 1 - (step - MARGIN_PX) / (RAMP_PX + 1)
        reached = grown
    return weight


def main():
    path, rows, columns, sigma_mm, spacing_mm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    hu = np.fromfile(path, dtype="<f4").reshape(1, rows, columns)
    smooth = gaussian_soften(hu, sigma_mm, spacing_mm)
    print(json.dumps({"gaussian": smooth.reshape(-1).tolist(), "ssim": float(ssim_per_slice(hu, smooth)[0]), "bodyWeight": body_weight(hu[0]).reshape(-1).tolist()}))


if __name__ == "__main__":
    main()
