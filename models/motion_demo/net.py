"""The motion_demo network: a small (2+1)D convnet (torch; used for training only)."""

from __future__ import annotations

import torch
from torch import nn

from config import INPUT_SHAPE, MEAN, STD

# The stem sees 5 frames through a 4 x 4 window at stride 4: wide enough in time to see a slow
# edge move by a pixel, cheap because nothing runs at full resolution. Its init favours frame
# differences, which skips a long plateau at the start of training.
STEM = (24, 5, 4)  # (out channels, temporal kernel, spatial kernel = spatial stride)
# (out channels, spatial kernel, spatial stride, temporal kernel, temporal stride) per stage;
# the stem stands in for the first stage's spatial conv.
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (24, 0, 0, 3, 1),
    (48, 3, 2, 3, 2),
    (96, 3, 2, 3, 2),
    (128, 3, 1, 3, 1),
)
N_CLASSES = 9


def _feature_thw() -> tuple[int, int, int]:
    """(T, H, W) of the last feature map for the model's input: the input divided by the strides."""
    t, h = INPUT_SHAPE[2], INPUT_SHAPE[3] // STEM[2]
    for _, _, s, _, st in STAGES:
        t, h = t // st, h // (s or 1)
    return t, h, h


FEATURE_THW = _feature_thw()  # (4, 7, 7)


class ConvBn(nn.Sequential):
    """Conv3d without bias, BatchNorm, ReLU: folded into one Conv + Relu at export."""

    def __init__(
        self, cin: int, cout: int, kernel: tuple[int, int, int], stride: tuple[int, int, int],
        padding: tuple[int, int, int] | None = None,
    ) -> None:
        padding = padding if padding is not None else tuple(k // 2 for k in kernel)
        super().__init__(
            nn.Conv3d(cin, cout, kernel, stride, padding, bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
        )


class MomentHead(nn.Module):
    """Logits from the mean and the x and y moments of the features over the whole map.

    Mean-pooled features tell translation apart but cannot tell growing or rotating from still:
    the motions at opposite edges cancel. Weighting the features by their position (x, y in -1..1
    across the map) lets a linear layer read divergence (growing, shrinking) and curl (rotating)
    wherever the object is. At export the whole head is one Conv whose kernel spans the feature map.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.fc = nn.Linear(3 * channels, N_CLASSES)
        _, h, w = FEATURE_THW
        self.register_buffer("ys", torch.linspace(-1, 1, h).view(1, 1, 1, h, 1))
        self.register_buffer("xs", torch.linspace(-1, 1, w).view(1, 1, 1, 1, w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = (2, 3, 4)
        moments = [x.mean(dim=dims), (x * self.xs).mean(dim=dims), (x * self.ys).mean(dim=dims)]
        return self.fc(torch.cat(moments, 1))

    def as_conv(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight [9, C, T, H, W], bias [9]) of the one Conv equal to this head on FEATURE_THW maps."""
        t, h, w = FEATURE_THW
        w0, wx, wy = self.fc.weight.detach().chunk(3, dim=1)  # each [9, C]
        kernel = (
            w0[:, :, None, None]
            + wx[:, :, None, None] * self.xs.view(1, 1, 1, w)
            + wy[:, :, None, None] * self.ys.view(1, 1, h, 1)
        ) / (t * h * w)
        return kernel[:, :, None].expand(-1, -1, t, -1, -1).contiguous(), self.fc.bias.detach().clone()


class MotionNet(nn.Module):
    """(2+1)D stages: a 1 x k x k spatial conv, then a k x 1 x 1 temporal conv; moment head.

    Input: [N, 3, 16, 112, 112] RGB in [0, 1]; output: logits [N, 9] (softmax is added at export).
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1, 1))
        channels, kt, k = STEM
        stem = ConvBn(3, channels, (kt, k, k), (1, k, k), padding=(kt // 2, 0, 0))
        _init_differences(stem[0])
        layers: list[nn.Module] = [stem]
        cin = channels
        for cout, k, s, kt, st in STAGES:
            if k:
                layers.append(ConvBn(cin, cout, (1, k, k), (1, s, s), padding=(0, (k - 1) // 2, (k - 1) // 2)))
            layers.append(ConvBn(cout, cout, (kt, 1, 1), (st, 1, 1)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.head = MomentHead(cin)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.head(self.features((video - self.mean) / self.std))


def _init_differences(conv: nn.Conv3d) -> None:
    """Temporal profiles of the stem: differences over 2 and 4 frames both ways, a second
    difference and the frame itself, each on a random colour mix, averaged over the 4 x 4 window."""
    kt = conv.kernel_size[0]
    mid = kt // 2
    patterns = torch.zeros(6, kt)
    patterns[0, [mid - 1, mid + 1]] = torch.tensor([-1.0, 1.0])
    patterns[1, [mid - 1, mid + 1]] = torch.tensor([1.0, -1.0])
    patterns[2, [0, kt - 1]] = torch.tensor([-1.0, 1.0])
    patterns[3, [0, kt - 1]] = torch.tensor([1.0, -1.0])
    patterns[4, [mid - 1, mid, mid + 1]] = torch.tensor([-0.5, 1.0, -0.5])
    patterns[5, mid] = 1.0
    area = conv.kernel_size[1] * conv.kernel_size[2]
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for c in range(conv.out_channels):
            colour = torch.rand(3, generator=gen) + 0.2
            colour = colour / colour.sum() * (1 if (c // len(patterns)) % 2 == 0 else -1)
            profile = colour[:, None] * patterns[c % len(patterns)][None, :] / area
            conv.weight[c] = profile[:, :, None, None].expand_as(conv.weight[c])


def folded_convs(net: MotionNet) -> list[tuple[torch.Tensor, torch.Tensor, tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
    """Each ConvBn as (weight, bias, kernel, stride, padding) with the BatchNorm folded in."""
    out = []
    for block in net.features:
        conv, bn = block[0], block[1]
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        weight = conv.weight * scale.view(-1, 1, 1, 1, 1)
        bias = bn.bias - bn.running_mean * scale
        out.append((weight.detach(), bias.detach(), conv.kernel_size, conv.stride, conv.padding))
    return out
