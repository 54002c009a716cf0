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
