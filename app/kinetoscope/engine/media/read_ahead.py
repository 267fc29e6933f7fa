"""Views read ahead: the one way classify, scan and the window's jobs get a model's frames.

The next views are decoded, scaled and cut to the model's crop on a background thread (a
`Prefetcher`) while the model runs on the current one, so the time to a result is closer to the
larger of decoding and inference than to their sum. Only the crops cross the thread (for I3D on
a 1080p clip: 4.8 MB a view against 11 MB of resized frames; a reader opened with the crop holds
nothing else), and at most `depth` of them wait, so memory stays flat. Closing it stops the reader
between two views and waits for it.

Overlap needs a core to decode on. When inference already has every core (a CPU session with one
intra-op thread per core, as on a 2-core laptop), a reading thread only preempts the model's
threads, and each parallel operation waits for the one preempted: `depth=0` then reads each view
when it is asked for, on the caller's thread, through the same code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kinetoscope.engine.media.prefetch import Prefetcher
from kinetoscope.engine.media.preprocess import spatial_crop
from kinetoscope.engine.media.sampling import ViewSpec
from kinetoscope.engine.media.video import ViewFrames

# Views waiting for the model. One is enough to keep the model fed when decoding a view takes
# less time than running it (the CPU and NPU models here); more only holds memory.
DEPTH = 1


@dataclass(frozen=True)
class CroppedView:
    """One view's frames as the model's crop: uint8 RGB [frames, crop h, crop w, 3], C-contiguous."""

    view: ViewSpec
    crops: np.ndarray = field(repr=False)
    times_s: tuple[float, ...]
    read_s: float      # decoding, scaling and cropping it took on the reading thread
    spatial: int = 0   # which of the recipe's spatial crops (0 when it has one)


def read_ahead(frames: Iterator[ViewFrames], crop: tuple[int, int], *, depth: int = DEPTH,
               name: str = "read ahead", spatial_crops: int = 1) -> Prefetcher[CroppedView] | InlineViews:
    """Iterate `frames` (a `VideoReader.read_views` or `read_windows`) on a thread, `depth` views
    ahead (0: on the caller's thread, when asked), each cut to `crop`; with `spatial_crops` 3, each
    view comes as three crops in turn (left, centre, right; see `spatial_crop`), read from full
    frames. A context manager; close it before closing the reader."""
    if depth <= 0:
        return InlineViews(_cropped(frames, crop, spatial_crops))
    return Prefetcher(_cropped(frames, crop, spatial_crops), depth=depth, name=name)


def depth_for(model_threads: int | None) -> int:
    """How far to read ahead of a model whose inference keeps `model_threads` CPU threads busy
    (None: the model runs elsewhere, e.g. on the NPU): one view when a core is left to decode on."""
    cores = os.cpu_count() or 1
    return DEPTH if model_threads is None or cores > model_threads else 0


class InlineViews:
    """`read_ahead` without a thread: each view is read when it is asked for."""

    def __init__(self, views: Iterator[CroppedView]) -> None:
        self._views = views

    def __enter__(self) -> InlineViews:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> InlineViews:
        return self

    def __next__(self) -> CroppedView:
        return next(self._views)

    def close(self) -> None:
        """Nothing runs in the background; safe to call twice."""


def _cropped(frames: Iterator[ViewFrames], crop: tuple[int, int], count: int = 1) -> Iterator[CroppedView]:
    while True:
        started = time.perf_counter()
        view = next(frames, None)
        if view is None:
            return
        # Compact copies, unless the reader cut the crop already: full frames go now, not after the model.
        all_crops = [np.ascontiguousarray(spatial_crop(view.rgb, crop, s, count)) for s in range(count)]
        spec, times_s = view.view, view.times_s
        del view
        read_s = (time.perf_counter() - started) / count
        for s, crops in enumerate(all_crops):
            yield CroppedView(spec, crops, times_s, read_s, s)
