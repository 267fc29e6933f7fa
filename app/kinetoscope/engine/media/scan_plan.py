"""Where a scan's windows sit in a clip: one model input every S seconds, from start to end.

A scan slides the model's window (its recipe's frames, sampled as the recipe says) over the whole
clip. The plan works on the recipe's sampled sequence ("ticks": the resampled frames, or every k-th
native frame), exactly as `ClipSampler` does for views, but never builds that sequence: a window's
source frames are computed when the window is asked for, so the plan stays a few numbers and one
small array of start ticks however long the clip is.

Placement: window k starts at tick round(k * S / tick). Windows that would run past the clip's last
tick are replaced by one window that ends at the clip's end (so the tail is seen with real frames,
not padding); a clip shorter than one window gets one window padded with its last frame, as
classifying it does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.media.probe import VideoInfo, bad_video
from kinetoscope.engine.media.sampling import ViewSpec, nearest_time_indices, resample_step, resampled_count
from kinetoscope.engine.recipe import InputRecipe


@dataclass(frozen=True)
class ScanPlan:
    """The windows of a scan, produced lazily by `windows()`."""

    info: VideoInfo = field(repr=False)
    frames: int            # per window (the recipe's)
    tick_s: float          # spacing of the sampled sequence
    ticks: int             # length of the sampled sequence over the whole clip
    every_s: float         # requested spacing of window starts
    starts: np.ndarray = field(repr=False)  # start tick of each window, increasing
    every: int | None = None     # the recipe keeps every k-th native frame ...
    step: float = 1.0            # ... or resamples: native frames per tick

    @property
    def window_s(self) -> float:
        """How long one window lasts."""
        return self.frames * self.tick_s

    def __len__(self) -> int:
        return len(self.starts)

    def windows(self) -> Iterator[ViewSpec]:
        """Each window's source frames and times, computed as it is asked for."""
        last = self.ticks - 1
        for index, start in enumerate(self.starts.tolist()):
            # Ticks past the end repeat the last one (the reference's padding, as for views).
            ticks = np.minimum(np.arange(start, start + self.frames), last)
            sources, times = self._sources_and_times(ticks)
            yield ViewSpec(index=index, source_indices=tuple(sources), times_s=tuple(times),
                           start_s=times[0], end_s=times[-1] + self.tick_s)

    def _sources_and_times(self, ticks: np.ndarray) -> tuple[list[int], list[float]]:
        info = self.info
        count = info.frame_count
        timed = len(info.frame_times_s) == count
        if self.every is not None:
            sources = np.minimum(ticks * self.every, count - 1)
            times = info.frame_times_s[sources] if timed else sources / info.fps
            return sources.tolist(), [float(t) for t in times]
        targets = [k * self.tick_s for k in ticks.tolist()]
        if info.variable_frame_rate and timed:
            return nearest_time_indices(info.frame_times_s, targets), targets
        # np.round rounds half to even, like the reference's `round(k * step)`.
        sources = np.minimum(np.round(ticks * self.step).astype(np.int64), count - 1)
        return sources.tolist(), targets


def plan_scan(info: VideoInfo, recipe: InputRecipe, every_s: float | None = None) -> ScanPlan:
    """Place windows of `recipe`'s frames every `every_s` seconds over the probed clip.

    `every_s=None` puts them back to back (every window length). Raises BadInput for a spacing
    that is not a positive number and BadVideo for a clip without frames.
    """
    count, fps = info.frame_count, info.fps
    if count <= 0 or not fps > 0:
        raise bad_video(info.path, f"The video in this clip has no frames to scan: {info.path.name}.")
    frames = recipe.frames
    every_k: int | None = None
    step = 1.0
    if recipe.sampling.every is not None:
        every_k = int(recipe.sampling.every)
        tick_s = every_k / fps
        ticks = math.ceil(count / every_k)
    else:
        target = float(recipe.sampling.fps or fps)
        step = resample_step(fps, target)
        tick_s = 1.0 / fps if step == 1.0 else 1.0 / target
        ticks = resampled_count(count, fps, target)
    spacing = frames * tick_s if every_s is None else float(every_s)
    if not (math.isfinite(spacing) and spacing > 0):
        raise BadInput(f"The spacing of scan windows must be a positive number of seconds, not {every_s!r}.")
    return ScanPlan(info=info, frames=frames, tick_s=tick_s, ticks=ticks, every_s=spacing,
                    starts=window_starts(ticks, frames, spacing / tick_s), every=every_k, step=step)


def window_starts(ticks: int, frames: int, every_ticks: float) -> np.ndarray:
    """Start ticks of the windows (see the module's docstring): regular ones that fit, then one
    window ending at the last tick if the next regular one would start inside the clip."""
    last_fit = ticks - frames  # the latest start whose window fits
    if last_fit <= 0:
        return np.zeros(1, np.int64)
    n_regular = int(math.floor(last_fit / every_ticks)) + 1
    starts = np.round(np.arange(n_regular) * every_ticks).astype(np.int64)
    # Rounding may nudge the last one past the end by a tick.
    starts = np.unique(np.minimum(starts, last_fit))
    next_start = round(n_regular * every_ticks)
    if next_start < ticks and starts[-1] < last_fit:
        starts = np.append(starts, last_fit)
    return starts
