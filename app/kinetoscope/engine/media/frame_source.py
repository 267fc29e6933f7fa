"""Where live frames come from: one small interface for cameras and synthetic scenes alike.

A frame source pushes upright, timestamped uint8 RGB frames to one callback. The camera (through
Qt, in `ui/camera_frames.py`) and the synthetic scene below both implement it, so everything
downstream — the live classifier, the preview, the recorder's test feed — is exercised without a
camera. Frames are handed over as they are made; a source never queues them, so a slow consumer
makes the source drop frames rather than fall behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from kinetoscope.engine.media.synthetic import MotionSpec, random_spec, render_at_times

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimedFrame:
    """One picture as it should be seen: uint8 RGB [H, W, 3], upright and unmirrored.

    `t_s` is when it was captured, in seconds on the source's own clock (only differences
    matter); `index` counts frames from the source's start.
    """

    rgb: np.ndarray = field(repr=False)
    t_s: float
    index: int = 0

    def __post_init__(self) -> None:
        rgb = self.rgb
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected uint8 RGB [H, W, 3], got {rgb.dtype} {rgb.shape}")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])


FrameCallback = Callable[[TimedFrame], None]


@runtime_checkable
class FrameSource(Protocol):
    """Anything that delivers frames: `start(on_frame)` until `stop()`.

    `on_frame` may be called on any thread; consumers must be quick or hand the frame on. After
    `stop()` returns, `on_frame` is not called again.
    """

    def start(self, on_frame: FrameCallback) -> None: ...

    def stop(self) -> None: ...


class SyntheticSource:
    """A camera that films one synthetic motion (see `synthetic.py`) at `fps`.

    `frames()` yields frames without waiting, for tests that want determinism; `start()` runs a
    thread that renders them in real time (or as fast as possible with `realtime=False`), like a
    camera would. `duration_s` ends the scene (None: until stopped). Times start at 0. A string
    spec picks a random scene of that motion (fixed by `seed`).
    """

    def __init__(
        self,
        spec: MotionSpec | str = "moving left",
        *,
        width: int = 320,
        height: int = 240,
        fps: float = 30.0,
        duration_s: float | None = None,
        realtime: bool = True,
        seed: int = 7,
        loop_s: float = 4.0,
    ) -> None:
        if not fps > 0:
            raise ValueError("fps must be positive")
        if isinstance(spec, str):
            # Planned for one loop, so the object stays in view for all of it.
            spec = random_spec(np.random.default_rng(seed), motion=spec, duration=loop_s)
        self.spec = spec
        self.loop_s = loop_s
        self.width, self.height, self.fps = width, height, fps
        self.duration_s = duration_s
        self.realtime = realtime
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.frames_sent = 0

    @property
    def motion(self) -> str:
        return self.spec.motion

    def frames(self, count: int | None = None, start_index: int = 0) -> Iterator[TimedFrame]:
        """Frames from `start_index` on, `count` of them (None: to the end of the scene).

        The motion starts over every `loop_s` seconds, so an endless scene stays in view.
        """
        index = start_index
        while count is None or index < start_index + count:
            t = index / self.fps
            if self.duration_s is not None and t >= self.duration_s:
                return
            (rgb,) = render_at_times(self.spec, self.width, self.height, [t % self.loop_s])
            yield TimedFrame(rgb, t, index)
            index += 1

    def start(self, on_frame: FrameCallback) -> None:
        """Deliver frames to `on_frame` from a thread of its own until `stop()` or the end."""
        if self._thread is not None:
            raise RuntimeError("the synthetic source is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, args=(on_frame,), name="synthetic-camera",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering and wait for the thread (at most one frame's rendering)."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, on_frame: FrameCallback) -> None:
        started = time.monotonic()
        for frame in self.frames():
            if self.realtime:
                # Sleep until the frame is "captured"; a late frame goes out at once.
                delay = started + frame.t_s - time.monotonic()
                if delay > 0 and self._stopping.wait(delay):
                    return
            if self._stopping.is_set():
                return
            try:
                on_frame(frame)
            except Exception:  # a consumer's bug must not kill the camera silently
                log.exception("frame consumer failed")
                return
            self.frames_sent += 1
