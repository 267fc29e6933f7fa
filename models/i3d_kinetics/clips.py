"""Turning a clip into model inputs, by the recipe the app ships (and variants for measuring).

Decode every frame with PyAV, resize it so the short side is 256 (bilinear with antialias, as
PIL and torchvision's `antialias=True` do it), keep the centre 224 x 224 (top = round((h - 224) / 2))
as uint8; then pick frames by a sampling rule and cut temporal views. Values go to [0, 1] (/255)
only when a view becomes the [1, 3, T, 224, 224] input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av
import numpy as np

from config import CROP

SHORT_SIDE = 256


@lru_cache(maxsize=16)
def _resize_taps(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights [size_out, taps] of a triangle (bilinear) filter, widened when shrinking."""
    scale = size_in / size_out
    support = max(scale, 1.0)
    centres = (np.arange(size_out) + 0.5) * scale
    first = np.clip(np.floor(centres - support).astype(np.int64), 0, size_in - 1)
    taps = int(np.ceil(2 * support)) + 2
    index = np.minimum(first[:, None] + np.arange(taps)[None, :], size_in - 1)
    weights = np.maximum(0.0, 1.0 - np.abs(index + 0.5 - centres[:, None]) / support)
    weights[:, 1:][index[:, 1:] == index[:, :-1]] = 0.0  # clamped duplicates at the edge count once
    return index, weights / weights.sum(axis=1, keepdims=True)


def _filter(image: np.ndarray, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Resample axis 0 of `image` (float64): a weighted sum of a few source rows per output row."""
    out = np.zeros((index.shape[0], *image.shape[1:]))
    for k in range(index.shape[1]):
        out += weights[:, k, None, None] * image[index[:, k]]
    return out


def resized_size(h: int, w: int, short_side: int = SHORT_SIDE) -> tuple[int, int]:
    """(height, width) after resizing the short side to `short_side`; the long side is truncated."""
    if h <= w:
        return short_side, int(short_side * w / h)
    return int(short_side * h / w), short_side


def resize_crop(rgb: np.ndarray, short_side: int = SHORT_SIDE, crop: int = CROP) -> np.ndarray:
    """uint8 [h, w, 3] -> uint8 [crop, crop, 3]: the centre of the frame resized to `short_side`."""
    h, w = rgb.shape[:2]
    oh, ow = resized_size(h, w, short_side)
    top, left = round((oh - crop) / 2), round((ow - crop) / 2)
    rows = tuple(a[top:top + crop] for a in _resize_taps(h, oh))
    cols = tuple(a[left:left + crop] for a in _resize_taps(w, ow))
    # Separable: rows first, then columns; a handful of taps each, so plain numpy beats BLAS here.
    tall = _filter(rgb.astype(np.float64), *rows)
    out = _filter(tall.transpose(1, 0, 2), *cols).transpose(1, 0, 2)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class DecodedClip:
    """Every frame of a clip, resized and centre-cropped: uint8 [N, 224, 224, 3], and its frame rate."""

    path: Path
    frames: np.ndarray
    fps: float


def decode(path: Path, short_side: int = SHORT_SIDE) -> DecodedClip:
    """Decode a clip's first video stream, frame by frame, in presentation order."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        for frame in container.decode(stream):
            out.append(resize_crop(frame.to_ndarray(format="rgb24"), short_side))
    return DecodedClip(Path(path), np.stack(out), fps)


def sample_indices(count: int, native_fps: float, sampling: dict) -> np.ndarray:
    """Which native frames the sampling rule keeps.

    {"fps": f}: resample to f frames per second, frame round(k * native / f) for
    k = 0 .. int(count / step) - 1 (all frames when the rates differ by less than 0.5);
    {"every": k}: every k-th native frame.
    """
    if "every" in sampling:
        return np.arange(0, count, int(sampling["every"]))
    target = float(sampling["fps"])
    if abs(native_fps - target) < 0.5:
        return np.arange(count)
    step = native_fps / target
    idx = np.round(np.arange(int(count / step)) * step).astype(np.int64)
    return np.minimum(idx, count - 1)


def view_starts(count: int, frames: int, views: int) -> list[int]:
    """Starts of `views` windows of `frames` frames spread evenly over `count` sampled frames."""
    return [int(s) for s in np.floor(np.linspace(0, max(1, count - frames + 1) - 1, views))]


def views_of(clip: DecodedClip, sampling: dict, frames: int, views: int) -> list[np.ndarray]:
    """The clip's views as float32 [1, 3, frames, 224, 224] in [0, 1]; short clips repeat their last frame."""
    sampled = clip.frames[sample_indices(len(clip.frames), clip.fps, sampling)]
    out = []
    for start in view_starts(len(sampled), frames, views):
        window = sampled[start:start + frames]
        if len(window) < frames:
            window = np.concatenate([window, np.repeat(window[-1:], frames - len(window), axis=0)])
        out.append(to_input(window))
    return out


def to_input(frames_thwc: np.ndarray) -> np.ndarray:
    """uint8 [T, H, W, 3] -> float32 [1, 3, T, H, W] in [0, 1]."""
    return np.ascontiguousarray(frames_thwc.transpose(3, 0, 1, 2)[None], dtype=np.float32) / np.float32(255)


def media_clips(folder: Path) -> list[Path]:
    """The video files in `folder`, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".mp4", ".avi", ".mkv", ".mov", ".webm"})
