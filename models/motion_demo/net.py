"""The motion_demo network: a small (2+1)D convnet (torch; used for training only)."""

from __future__ import annotations

import torch
from torch import nn

from config import MEAN, STD

# The stem is temporal first, at full resolution: frame differences see sub-pixel motion that the
# stride-4 spatial conv after it would blur away. Its init favours differences to skip a long plateau.
STEM_CHANNELS = 8
# (out channels, spatial kernel, spatial stride, temporal kernel, temporal stride) per stage.
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (24, 4, 4, 3, 1),
    (48, 3, 2, 3, 2),
    (96, 3, 2, 3, 2),
    (128, 3, 1, 3, 1),
)
N_CLASSES = 9


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


class MotionNet(nn.Module):
    """(2+1)D stages: a 1 x k x k spatial conv, then a k x 1 x 1 temporal conv; pool; linear.

    Input: [N, 3, 16, 112, 112] RGB in [0, 1]; output: logits [N, 9] (softmax is added at export).
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1, 1))
        stem = ConvBn(3, STEM_CHANNELS, (3, 1, 1), (1, 1, 1))
        _init_differences(stem[0])
        layers: list[nn.Module] = [stem]
        cin = STEM_CHANNELS
        for cout, k, s, kt, st in STAGES:
            layers.append(ConvBn(cin, cout, (1, k, k), (1, s, s), padding=(0, (k - 1) // 2, (k - 1) // 2)))
            layers.append(ConvBn(cout, cout, (kt, 1, 1), (st, 1, 1)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, N_CLASSES)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        x = self.features((video - self.mean) / self.std)
        return self.classifier(x.mean(dim=(2, 3, 4)))


def _init_differences(conv: nn.Conv3d) -> None:
    """Temporal kernels: forward and backward differences, a second difference and the frame itself."""
    patterns = torch.tensor([[-1.0, 0.0, 1.0], [1.0, 0.0, -1.0], [-0.5, 1.0, -0.5], [0.0, 1.0, 0.0]])
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for c in range(conv.out_channels):
            colour = torch.rand(3, generator=gen) + 0.2
            colour = colour / colour.sum() * (1 if c < 4 else -1)
            conv.weight[c, :, :, 0, 0] = colour[:, None] * patterns[c % 4][None, :]


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
