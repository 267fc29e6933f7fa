"""Views read ahead: the one way classify, scan and the window's jobs get a model's frames.

The next views are decoded, scaled and cut to the model's crop on a background thread (a
`Prefetcher`) while the model runs on the current one, so the time to a result is closer to the
larger of decoding and inference than to their sum. Only the crops cross the thread (for I3D on
a 1080p clip: 4.8 MB a view against 11 MB of resized frames; a reader opened with the crop holds
nothing else), and at most `depth` of them wait, so memory stays flat. Closing it stops the reader
between two views and waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kinetoscope.engine.media.prefetch import Prefetcher
from kinetoscope.engine.media.preprocess import center_crop
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


def read_ahead(frames: Iterator[ViewFrames], crop: tuple[int, int], *, depth: int = DEPTH,
               name: str = "read ahead") -> Prefetcher[CroppedView]:
    """Iterate `frames` (a `VideoReader.read_views` or `read_windows`) on a thread, `depth` views
    ahead, each cut to `crop`. A context manager; close it before closing the reader."""
    return Prefetcher(_cropped(frames, crop), depth=depth, name=name)


def _cropped(frames: Iterator[ViewFrames], crop: tuple[int, int]) -> Iterator[CroppedView]:
    while True:
        started = time.perf_counter()
        view = next(frames, None)
        if view is None:
            return
        # A compact copy, unless the reader cut the crop already: full frames go now, not after the model.
        crops = np.ascontiguousarray(center_crop(view.rgb, crop))
        yield CroppedView(view.view, crops, view.times_s, time.perf_counter() - started)
