"""A resolution-and-noise model of a sharper reconstruction kernel, fitted to a real sharp/soft pair.

Two reconstructions of one acquisition differ by (1) a transfer function H(f) = MTF_sharp / MTF_soft
applied to everything the soft image holds (anatomy and the noise the soft kernel kept), and (2) the
high-frequency noise that the soft kernel suppressed and the sharp kernel keeps. Both are measured
radially (f in cycles per pixel) from the training patient's real pair:
    H(f)   = Re(sum X_sharp conj(X_soft)) / sum |X_soft|^2
    NPS(f) = mean |X_sharp - H X_soft|^2      (residual noise power per pixel, HU^2)
Simulated sharp images are then soft * H(s f)^gamma + noise with power a^2 NPS(s f) (inside the
body only), with the
strength gamma, the frequency stretch s (other pixel sizes) and the noise amplitude a drawn per
sample around the fitted kernel, so that the generator sees many kernels, not one.
"""
import numpy as np
import torch

BIN = 0.01  # cycles per pixel
BINS = 72  # radial bins up to 0.71 cycles per pixel (the FFT corner)
TRUSTED = 0.45  # above this the soft image holds almost no signal: H is held constant
NOISE_FLOOR_F = 0.10  # below this the residual is anatomy mismatch, not noise: NPS ramps to 0


def _radial_bins(size):
    f = np.sqrt(np.fft.fftfreq(size)[:, None] ** 2 + np.fft.fftfreq(size)[None, :] ** 2)
    return np.minimum((f / BIN).astype(np.int64), BINS - 1)


def fit_kernel_pair(sharp_hu, soft_hu, window=(-1150.0, 350.0)):
    """Radial transfer function and residual noise power of a real pair (slices x N x N, HU)."""
    a = np.clip(sharp_hu, *window).astype(np.float64)
    b = np.clip(soft_hu, *window).astype(np.float64)
    size = a.shape[-1]
    bins = _radial_bins(size).ravel()
    cross = np.zeros(BINS)
    power = np.zeros(BINS)
    for k in range(a.shape[0]):
        A, B = np.fft.fft2(a[k]), np.fft.fft2(b[k])
        cross += np.bincount(bins, (A * np.conj(B)).real.ravel(), BINS)
        power += np.bincount(bins, (np.abs(B) ** 2).ravel(), BINS)
    transfer = cross / np.maximum(power, 1e-12)
    f = (np.arange(BINS) + 0.5) * BIN
    transfer[f > TRUSTED] = transfer[f <= TRUSTED][-1]
    residual = np.zeros(BINS)
    counts = np.bincount(bins, minlength=BINS).astype(np.float64)
    for k in range(a.shape[0]):
        A, B = np.fft.fft2(a[k]), np.fft.fft2(b[k])
        R = A - transfer[bins].reshape(A.shape) * B
        residual += np.bincount(bins, (np.abs(R) ** 2).ravel(), BINS)
    nps = residual / np.maximum(counts, 1) / a.shape[0] / (size * size)
    floor = nps[int(NOISE_FLOOR_F / BIN)]
    low = f < NOISE_FLOOR_F
    nps[low] = floor * f[low] / NOISE_FLOOR_F
    return {"f": f.tolist(), "transfer": transfer.tolist(), "nps": nps.tolist(), "noise_std_hu": float(np.sqrt(nps[bins].mean()))}


def _interp(table, f):
    """Piecewise-linear lookup of a radial table at frequencies f (torch tensor, cycles per pixel)."""
    t = torch.as_tensor(table, dtype=torch.float32)
    x = torch.clamp(f / BIN - 0.5, 0, BINS - 1.001)
    i = x.floor().long()
    w = x - i
    return t[i] * (1 - w) + t[torch.clamp(i + 1, max=BINS - 1)] * w


def simulate_sharp(soft_hu, fit, gamma, stretch, noise_scale, generator):
    """Sharp-kernel versions of soft patches: batch x channels x N x N (HU), one kernel per batch item.

    gamma, stretch, noise_scale: tensors of length batch. Channels (neighbour slices) share the
    kernel and get independent noise, as slices of one reconstruction do.
    """
    n, c, h, w = soft_hu.shape
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.fftfreq(w)[None, :]
    f = torch.sqrt(fy**2 + fx**2)[None] * stretch[:, None, None]
    transfer = _interp(fit["transfer"], f).clamp(min=1e-3) ** gamma[:, None, None]
    noise_amp = torch.sqrt(_interp(fit["nps"], f).clamp(min=0)) * noise_scale[:, None, None]
    spectrum = torch.fft.fft2(soft_hu) * transfer[:, None]
    white = torch.randn(soft_hu.shape, generator=generator)
    noise = torch.fft.ifft2(torch.fft.fft2(white) * noise_amp[:, None]).real
    return torch.fft.ifft2(spectrum).real + noise * body_weight(soft_hu)


def body_weight(soft_hu):
    """1 inside the body (lungs included), 0 in the air around it: outside the patient a
    reconstruction holds little noise (Philips sets it to -1024 exactly)."""
    n, c, h, w = soft_hu.shape
    local = torch.nn.functional.avg_pool2d(soft_hu.reshape(n * c, 1, h, w), 9, stride=1, padding=4, count_include_pad=False)
    return ((local + 1000.0) / 100.0).clamp(0, 1).reshape(n, c, h, w)
