"""Which frames of a clip a model sees: its recipe's frame sampling and views.

A recipe either resamples the clip to a rate (AI Hub's ResNets: 15 fps) or keeps every k-th native
frame (AI Hub's Video-MAE: every 2nd), then cuts evenly spaced views of the model's frames per view.
This module turns a probed clip (`VideoInfo`) into that plan without decoding anything, so the
reader can fetch just the frames it names.

Constant-rate clips follow the reference exactly (frame `round(k * r / fps)`); variable-rate clips
pick, for each tick, the frame whose timestamp is nearest, which is what the reference protocol
means when frames are not evenly spaced.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from kinetoscope.engine.recipe import FrameSampling, InputRecipe

if TYPE_CHECKING:
    from kinetoscope.engine.media.probe import VideoInfo

# The reference leaves clips within half a frame per second of 15 fps untouched.
_NO_RESAMPLE_TOLERANCE = 0.5


@dataclass(frozen=True)
class ViewSpec:
    """One temporal view: the source frames that make up one model input."""

    index: int
    source_indices: tuple[int, ...]
    times_s: tuple[float, ...]
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SamplingPlan:
    """All views of a clip, plus the rates the plan was derived from."""

    views: tuple[ViewSpec, ...]
    native_fps: float
    resampled_count: int


def resample_step(native_fps: float, target_fps: float) -> float:
    """Source frames per resampled frame; 1.0 when the clip is already at the target rate."""
    if not native_fps > 0:
        raise ValueError(f"native frame rate must be positive, got {native_fps!r}")
    if abs(native_fps - target_fps) < _NO_RESAMPLE_TOLERANCE:
        return 1.0
    return native_fps / target_fps


def resampled_count(frame_count: int, native_fps: float, target_fps: float) -> int:
    """Length of the resampled sequence, as the reference computes it (`int(T / step)`).

    A clip too short to yield even one resampled frame still yields one (the reference would
    produce an empty clip and fail); zero frames yield zero.
    """
    if frame_count <= 0:
        return 0
    return max(1, int(frame_count / resample_step(native_fps, target_fps)))


def resample_indices(frame_count: int, native_fps: float, target_fps: float) -> list[int]:
    """Source frame indices of the resampled sequence for a constant-rate clip: `round(k * step)`.

    Python's `round` (half to even) matches torch's; indices are clamped so a rate that
    overstates the clip never points past its last frame.
    """
    step = resample_step(native_fps, target_fps)
    count = resampled_count(frame_count, native_fps, target_fps)
    return [min(round(k * step), frame_count - 1) for k in range(count)]


def nearest_time_indices(frame_times_s: Sequence[float], targets_s: Sequence[float]) -> list[int]:
    """For each target time, the index of the frame whose time is nearest (earlier on a tie)."""
    last = len(frame_times_s) - 1
    out: list[int] = []
    for t in targets_s:
        i = bisect_left(frame_times_s, t)
        if i > last:
            out.append(last)
        elif i > 0 and t - frame_times_s[i - 1] <= frame_times_s[i] - t:
            out.append(i - 1)
        else:
            out.append(i)
    return out


def view_starts(count: int, n_views: int, frames_per_view: int) -> list[int]:
    """Start positions of the views in the resampled sequence: floor(linspace(0, last_start, n))."""
    last_start = max(1, count - frames_per_view + 1) - 1
    return [int(math.floor(x)) for x in np.linspace(0, last_start, n_views)]


class ClipSampler:
    """Plans a recipe's views for a probed clip."""

    def __init__(self, recipe: InputRecipe) -> None:
        self.views = recipe.views
        self.frames_per_view = recipe.frames
        self.sampling: FrameSampling = recipe.sampling

    def plan(self, info: VideoInfo) -> SamplingPlan:
        """Choose the source frames of every view; needs only what `probe` found."""
        count = info.frame_count
        fps = info.fps
        if count <= 0 or not fps > 0:
            raise ValueError("the clip has no frames to sample")
        sources, targets, tick_s = self._sequence(info)
        n = len(sources)
        views = []
        for v, start in enumerate(view_starts(n, self.views, self.frames_per_view)):
            # Positions past the end repeat the last frame of the sequence (the reference's padding).
            positions = [min(start + j, n - 1) for j in range(self.frames_per_view)]
            times = tuple(targets[p] for p in positions)
            views.append(
                ViewSpec(
                    index=v,
                    source_indices=tuple(sources[p] for p in positions),
                    times_s=times,
                    start_s=times[0],
                    end_s=times[-1] + tick_s,
                )
            )
        return SamplingPlan(views=tuple(views), native_fps=fps, resampled_count=n)

    def _sequence(self, info: VideoInfo) -> tuple[list[int], list[float], float]:
        """The sampled sequence: source index and time of each element, and the spacing."""
        count, fps = info.frame_count, info.fps
        timed = len(info.frame_times_s) == count
        if self.sampling.every is not None:
            every = self.sampling.every
            sources = list(range(0, count, every))
            times = ([float(info.frame_times_s[i]) for i in sources] if timed else [i / fps for i in sources])
            return sources, times, every / fps
        target = float(self.sampling.fps or fps)
        step = resample_step(fps, target)
        # With no resampling the sequence keeps the clip's own spacing.
        tick_s = 1.0 / fps if step == 1.0 else 1.0 / target
        n = resampled_count(count, fps, target)
        targets = [k * tick_s for k in range(n)]
        if info.variable_frame_rate and timed:
            sources = nearest_time_indices(info.frame_times_s, targets)
        else:
            sources = resample_indices(count, fps, target)
        return sources, targets, tick_s
