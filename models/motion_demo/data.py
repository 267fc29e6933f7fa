"""Training clips rendered on the fly, in the model's input space.

Each clip imitates what the app's preprocessing makes of a real file: a source of some size and
aspect ratio (tiny ones blurry once upscaled, portrait ones squashed), a source frame rate resampled
to 15 fps (uneven steps for 24 or 25 fps), bilinear resize to 128 x 171 with or without
anti-aliasing, centre crop 112, plus mild noise, blocky compression-like flicker and exposure changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from config import CROP, CROP_LEFT, CROP_TOP, FPS, FRAMES, RESIZE_HW
from kinetoscope.engine.media.synthetic import MOTION_LABELS, MotionSpec, random_spec, render_at_times

ASPECTS = (4 / 3, 16 / 9, 3 / 2, 1.0, 9 / 16, 3 / 4, 2.0)
SOURCE_FPS = (15.0, 24.0, 25.0, 30.0, 60.0, 20.0, 50.0, 12.0)


@dataclass(frozen=True)
class Source:
    """How the simulated source file was shot: frame size and frame rate."""

    width: int
    height: int
    fps: float


def random_source(rng: np.random.Generator) -> Source:
    aspect = ASPECTS[int(rng.integers(len(ASPECTS)))]
    level = rng.random()
    if level < 0.2:
        short = int(rng.integers(28, 72))  # tiny: upscaled, blurry
    elif level < 0.8:
        short = int(rng.integers(96, 190))
    else:
        short = int(rng.integers(200, 300))  # stands in for big sources, downscaled
    long = round(short * max(aspect, 1 / aspect))
    width, height = (long, short) if aspect >= 1 else (short, long)
    return Source(width, height, SOURCE_FPS[int(rng.integers(len(SOURCE_FPS)))])


def resample_times(source_fps: float, n: int = FRAMES, offset: float = 0.0) -> list[float]:
    """Time stamps of the frames the app keeps when it resamples `source_fps` to 15 fps."""
    step = 1.0 if abs(source_fps - FPS) < 0.5 else source_fps / FPS
    return [offset + round(k * step) / source_fps for k in range(n)]


def to_model_input(frames: np.ndarray, antialias: bool = False) -> torch.Tensor:
    """uint8 frames [T, H, W, 3] -> float [3, T, 112, 112]: /255, resize 128 x 171, centre crop."""
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-2:] != RESIZE_HW:
        down = x.shape[-1] > RESIZE_HW[1] or x.shape[-2] > RESIZE_HW[0]
        x = F.interpolate(x, size=RESIZE_HW, mode="bilinear", align_corners=False, antialias=antialias and down)
    x = x[:, :, CROP_TOP:CROP_TOP + CROP, CROP_LEFT:CROP_LEFT + CROP]
    return x.permute(1, 0, 2, 3).contiguous()


def degrade(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Mild camera and codec artefacts on one clip [3, T, H, W] in [0, 1]."""
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    contrast, brightness = rng.uniform(0.7, 1.15), rng.uniform(-0.08, 0.08)
    x = (x - 0.5) * contrast + 0.5 + brightness
    if rng.random() < 0.3:
        x = F.avg_pool3d(x[None], (1, 3, 3), 1, (0, 1, 1), count_include_pad=False)[0]
    if rng.random() < 0.4:  # 8 x 8 block flicker, like a coarse codec
        t = x.shape[1]
        blocks = torch.randn(3, t, CROP // 8, CROP // 8, generator=gen) * rng.uniform(0.005, 0.025)
        x = x + blocks.repeat_interleave(8, 2).repeat_interleave(8, 3)
    sigma = rng.uniform(0.0, 0.035)
    x = x + torch.randn(x.shape, generator=gen) * sigma
    return x.clamp(0, 1)


def render_example(spec: MotionSpec, source: Source, rng: np.random.Generator, augment: bool = True) -> torch.Tensor:
    """One model input [3, 16, 112, 112] for `spec` as seen through `source` and the app's pipeline."""
    times = resample_times(source.fps, offset=rng.uniform(0, 0.07) if augment else 0.0)
    frames = np.stack(list(render_at_times(spec, source.width, source.height, times)))
    x = to_model_input(frames, antialias=bool(rng.random() < 0.5))
    return degrade(x, rng) if augment else x


def batch(rng: np.random.Generator, size: int, families: tuple[str, ...], augment: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """A balanced-on-average batch: inputs [N, 3, 16, 112, 112], labels [N]."""
    xs, ys = [], []
    for _ in range(size):
        spec = random_spec(rng, families=families, duration=(FRAMES - 1) / FPS)
        xs.append(render_example(spec, random_source(rng), rng, augment))
        ys.append(MOTION_LABELS.index(spec.motion))
    return torch.stack(xs), torch.tensor(ys)


# Label-preserving symmetries of the task: (the axis of a clip [3, T, H, W] to flip, new label of
# each label in MOTION_LABELS order). Mirroring left-right or up-down turns the rotation around;
# playing the clip backwards swaps every motion with its opposite.
SYMMETRIES: tuple[tuple[int, tuple[int, ...]], ...] = (
    (3, (1, 0, 2, 3, 5, 4, 6, 7, 8)),  # mirror left-right
    (2, (0, 1, 3, 2, 5, 4, 6, 7, 8)),  # mirror up-down
    (1, (1, 0, 3, 2, 5, 4, 7, 6, 8)),  # backwards in time
)


def transformed(x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Each clip of a batch under a random combination of SYMMETRIES (one of 8), label mapped."""
    xs, ys = [], []
    for clip, label in zip(x, y.tolist()):
        for axis, relabel in SYMMETRIES:
            if rng.random() < 0.5:
                clip = torch.flip(clip, [axis])
                label = relabel[label]
        xs.append(clip)
        ys.append(label)
    return torch.stack(xs), torch.tensor(ys)


def fixed_set(seed: int, size: int, families: tuple[str, ...], augment: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A reproducible evaluation set with every class equally often."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for i in range(size):
        motion = MOTION_LABELS[i % len(MOTION_LABELS)]
        spec = random_spec(rng, motion=motion, families=families, duration=(FRAMES - 1) / FPS)
        xs.append(render_example(spec, random_source(rng), rng, augment))
        ys.append(i % len(MOTION_LABELS))
    return torch.stack(xs), torch.tensor(ys)
