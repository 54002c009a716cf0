"""The 512 -> 256 degradation that SR training and the node's evaluation (scripts/eval-models.ts) share:
a Gaussian blur for the larger reconstruction pixel (sigma in 512-grid pixels, the node's Gaussian
kernel, edges replicated), 2x2 area sampling, then additive white Gaussian noise (HU)."""
import torch
import torch.nn.functional as F

from common import node_gaussian_kernel, separable_blur

# The evaluation's fixed setting, inside the training ranges below.
EVAL_BLUR_SIGMA_PX = 0.5
EVAL_NOISE_HU = 8.0
TRAIN_BLUR_SIGMA_PX = (0.3, 0.7)
TRAIN_NOISE_HU = (0.0, 15.0)


def degrade(hr_hu, blur_sigma_px, noise_hu, generator):
    """N x 1 x H x W HU -> N x 1 x H/2 x W/2 HU; blur_sigma_px, noise_hu: floats or per-item tensors."""
    n = hr_hu.shape[0]
    sigmas = torch.as_tensor(blur_sigma_px, dtype=torch.float32).expand(n)
    noises = torch.as_tensor(noise_hu, dtype=torch.float32).expand(n)
    blurred = torch.cat([separable_blur(hr_hu[i : i + 1], node_gaussian_kernel(float(sigmas[i]))) for i in range(n)])
    low = F.avg_pool2d(blurred, 2)
    return low + noises.view(n, 1, 1, 1) * torch.randn(low.shape, generator=generator)
