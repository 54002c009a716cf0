"""The generators (the architectures the node's engine already runs) and a patch discriminator."""
import torch
from torch import nn


class ResBlock(nn.Module):
    """EDSR block: conv3x3, ReLU, conv3x3, scaled by 0.1, plus skip."""

    def __init__(self, channels):
        super().__init__()
        self.a = nn.Conv2d(channels, channels, 3, padding=1)
        self.b = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + 0.1 * self.b(torch.relu(self.a(x)))


class Body(nn.Module):
    """Residual blocks, a conv, and a long skip."""

    def __init__(self, channels, blocks):
        super().__init__()
        self.blocks = nn.Sequential(*[ResBlock(channels) for _ in range(blocks)])
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv(self.blocks(x))


class Harmonizer(nn.Module):
    """2.5D: slices z-1, z, z+1 as channels; predicts a correction added to the centre slice."""

    def __init__(self, channels=24, blocks=6, neighbours=1):
        super().__init__()
        self.neighbours = neighbours
        self.head = nn.Conv2d(2 * neighbours + 1, channels, 3, padding=1)
        self.body = Body(channels, blocks)
        self.tail = nn.Conv2d(channels, 1, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        self.receptive_field = 1 + 2 * blocks + 1 + 1

    def forward(self, x):
        centre = x[:, self.neighbours : self.neighbours + 1]
        return centre + self.tail(torch.relu(self.body(self.head(x))))


class DilatedResBlock(nn.Module):
    """ResBlock with dilated 3x3 convolutions: the same cost, a wider view."""

    def __init__(self, channels, dilation):
        super().__init__()
        self.a = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.b = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)

    def forward(self, x):
        return x + 0.1 * self.b(torch.relu(self.a(x)))


class GaussianBank(nn.Module):
    """Fixed separable Gaussian blurs of one slice at several widths (sigma 0 passes it through)."""

    def __init__(self, sigmas, radius):
        super().__init__()
        x = torch.arange(-radius, radius + 1, dtype=torch.float32)
        taps = []
        for sigma in sigmas:
            if sigma == 0:
                taps.append((x == 0).float())
            else:
                k = torch.exp(-(x**2) / (2 * sigma**2))
                taps.append(k / k.sum())
        taps = torch.stack(taps)
        k, size = len(sigmas), 2 * radius + 1
        self.rows = nn.Conv2d(1, k, (1, size), padding=(0, radius), bias=False)
        self.columns = nn.Conv2d(k, k, (size, 1), padding=(radius, 0), groups=k, bias=False)
        self.rows.weight.data.copy_(taps.view(k, 1, 1, size))
        self.columns.weight.data.copy_(taps.view(k, 1, size, 1))
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return self.columns(self.rows(x))


class AdaptiveHarmonizer(nn.Module):
    """2.5D: a CNN looks at slices z-1, z, z+1 (dilated residual blocks, for a view wide enough to
    judge the input kernel's sharpness and noise) and chooses, per pixel, a mix of fixed Gaussian
    blurs of the centre slice (softmax weights), plus a small learned correction. The blur bank
    makes the sharp-to-soft filter easy to learn; the CNN's job is to pick how much of it each
    pixel of each input kernel needs."""

    SIGMAS_PX = (0.0, 0.6, 0.9, 1.3, 1.8, 2.5)
    BANK_RADIUS = 8

    def __init__(self, channels=16, dilations=(1, 2, 4, 2, 1), neighbours=1):
        super().__init__()
        self.neighbours = neighbours
        k = len(self.SIGMAS_PX)
        self.head = nn.Conv2d(2 * neighbours + 1, channels, 3, padding=1)
        self.blocks = nn.Sequential(*[DilatedResBlock(channels, d) for d in dilations])
        self.mix_logits = nn.Conv2d(channels, k, 3, padding=1)
        self.tail = nn.Conv2d(channels, 1, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        self.bank = GaussianBank(self.SIGMAS_PX, self.BANK_RADIUS)
        # A weighted sum over the bank as a fixed 1x1 convolution: the node's graph analyser knows Conv.
        self.sum = nn.Conv2d(k, 1, 1, bias=False)
        self.sum.weight.data.fill_(1.0)
        self.sum.weight.requires_grad_(False)
        self.receptive_field = max(1 + 2 * sum(dilations) + 1, self.BANK_RADIUS)

    def forward(self, x):
        centre = x[:, self.neighbours : self.neighbours + 1]
        features = torch.relu(self.blocks(self.head(x)))
        weights = torch.softmax(self.mix_logits(features), dim=1)
        return self.sum(weights * self.bank(centre)) + self.tail(features)


class SuperResolver(nn.Module):
    """EDSR-style 2x: body at input resolution, conv to 4C, DepthToSpace, ReLU, conv at 2x, plus a
    fixed bilinear 2x (a ConvTranspose with frozen weights) as the global skip, so the network learns
    only the detail that interpolation misses."""

    def __init__(self, channels=24, blocks=6):
        super().__init__()
        self.head = nn.Conv2d(1, channels, 3, padding=1)
        self.body = Body(channels, blocks)
        self.up = nn.Conv2d(channels, 4 * channels, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.tail = nn.Conv2d(channels, 1, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        self.skip = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)
        taps = torch.tensor([0.25, 0.75, 0.75, 0.25])
        self.skip.weight.data.copy_((taps[:, None] * taps[None, :])[None, None])
        self.skip.weight.requires_grad_(False)
        # head, body, body conv, upsampling conv: 1 + 2B + 1 + 1 input pixels; the 3x3 conv at 2x
        # adds half an input pixel, the bilinear skip one: rounded up, one more.
        self.receptive_field = 1 + 2 * blocks + 1 + 1 + 1

    def forward(self, x):
        detail = self.tail(torch.relu(self.shuffle(self.up(self.body(self.head(x))))))
        return self.skip(x) + detail


class PatchDiscriminator(nn.Module):
    """Small PatchGAN: one realness score per ~22 px patch (least-squares GAN)."""

    def __init__(self, channels=16):
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 4 * c, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * c, 1, 3, padding=1),
        )

    def forward(self, x):
        return self.net(x)


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())
