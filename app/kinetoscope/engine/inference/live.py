"""Live classification: a sliding window of camera frames, classified as the camera runs.

Frames arrive at the camera's rate (from a `FrameSource`); the model wants the rate its input
recipe names (AI Hub's ResNets: 15 fps). `RateSampler` picks, for each tick, the frame whose
timestamp is nearest (as `sampling.py` does for variable-rate clips), so a 30, 25 or 10 fps camera
all show the model motion at its trained speed. Each sampled frame is resized and centre-cropped
at once, as the recipe says, and kept in a ring of the model's frames per view. Until the model is
open (and so its recipe known, unless the config names it), frames are counted but not sampled.

Every `every_n` sampled frames, the window is copied into a hand-off slot that holds ONE window;
a single worker thread takes it and runs the model. If the worker is still busy when the next
window is ready, that window replaces the waiting one (the older one is dropped and counted): the
newest window always wins, nothing queues, and memory stays at a few windows whatever the speeds.

Predictions are smoothed with an exponential moving average of the probabilities, so the top-5
does not flicker between windows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import av
import numpy as np

from kinetoscope.engine.media.frame_source import TimedFrame
from kinetoscope.engine.media.preprocess import center_crop, to_model_input
from kinetoscope.engine.recipe import InputRecipe
from kinetoscope.engine.inference.results import Prediction, top_k
from kinetoscope.engine.media.video import interpolation_for

log = logging.getLogger(__name__)

# Timestamps this close count as equal (camera clocks are in microseconds).
_EPS_S = 1e-6


class LiveModel(Protocol):
    """What live mode needs of a session (`ModelSession` fits): a bundle with labels, and run()."""

    @property
    def bundle(self) -> object: ...

    def run(self, video: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class LiveConfig:
    """How live mode samples, triggers and smooths."""

    every_n: int = 4            # classify after every N newly sampled frames (at 15 fps: 0.27 s)
    smoothing: float = 0.5      # EMA weight of the newest probabilities; 1.0 means no smoothing
    max_gap_s: float = 0.5      # a longer pause (or time going backwards) starts a new window
    recipe: InputRecipe | None = None  # None: the opened model's own recipe

    def __post_init__(self) -> None:
        if self.every_n < 1:
            raise ValueError("every_n must be positive")
        if not 0.0 < self.smoothing <= 1.0:
            raise ValueError("smoothing must be in (0, 1]")
        if not self.max_gap_s > 0:
            raise ValueError("max_gap_s must be positive")


# Cameras deliver about 30 frames a second; a recipe that keeps every k-th native frame sees 30 / k.
CAMERA_FPS = 30.0


def live_fps(recipe: InputRecipe) -> float:
    """The rate live frames are sampled at for a model with this recipe."""
    if recipe.sampling.fps is not None:
        return recipe.sampling.fps
    return CAMERA_FPS / float(recipe.sampling.every or 1)


@dataclass(frozen=True)
class LiveStats:
    """Counters since `start()`; a snapshot, safe to hand to another thread."""

    frames_in: int = 0          # frames the source delivered
    frames_sampled: int = 0     # 15 fps ticks filled (a frame can fill two ticks on a slow camera)
    windows_ready: int = 0      # windows handed to the worker
    windows_run: int = 0        # windows the model classified
    windows_dropped: int = 0    # windows replaced before the worker took them
    restarts: int = 0           # windows restarted after a pause in the frames
    max_pending: int = 0        # most windows ever waiting at once (1 by design)


@dataclass(frozen=True)
class LiveResult:
    """One classified window, with the smoothed view of all windows so far."""

    seq: int
    probs: np.ndarray = field(repr=False)      # this window's probabilities
    smoothed: np.ndarray = field(repr=False)   # EMA over windows
    top5: tuple[Prediction, ...]               # from `smoothed`
    crops: np.ndarray = field(repr=False)      # uint8 [T, H, W, 3]: what the model saw (its crop)
    times_s: tuple[float, ...]                 # the frames' timestamps
    inference_ms: float
    latency_ms: float                          # newest frame's arrival -> result
    stats: LiveStats


def model_crop(rgb: np.ndarray, recipe: InputRecipe) -> np.ndarray:
    """An upright RGB frame -> the model's uint8 [H, W, 3] crop, as clips are prepared.

    Like `VideoReader`: the whole picture is scaled (not cropped first) as the recipe says by
    FFmpeg's swscale with the same interpolation choice, then the centre is cut out.
    """
    h, w = recipe.resize.output_size(rgb.shape[1], rgb.shape[0])
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    interpolation = interpolation_for(rgb.shape[1], rgb.shape[0], w, h, antialias=recipe.resize.antialias)
    small = frame.reformat(width=w, height=h, format="rgb24", interpolation=interpolation).to_ndarray()
    return np.ascontiguousarray(center_crop(small[None], recipe.crop)[0])


class RateSampler:
    """Turns frames at any (even uneven) rate into a `fps` sequence, by nearest timestamp.

    `offer` returns the frames that fill the ticks passed since the last call: none while the
    camera is faster than `fps` between ticks, one usually, two or more (repeats) when it is
    slower. Deciding a tick needs the first frame after it, so the sequence lags one frame.
    """

    def __init__(self, fps: float) -> None:
        self.step_s = 1.0 / fps
        self.reset()

    def reset(self) -> None:
        self._next_s: float | None = None
        self._prev: TimedFrame | None = None

    def offer(self, frame: TimedFrame) -> list[TimedFrame]:
        if self._next_s is None or self._prev is None:
            self._next_s = frame.t_s + self.step_s
            self._prev = frame
            return [frame]
        taken: list[TimedFrame] = []
        while frame.t_s >= self._next_s - _EPS_S:
            before = self._next_s - self._prev.t_s
            after = frame.t_s - self._next_s
            taken.append(self._prev if before < after - _EPS_S else frame)
            self._next_s += self.step_s
        self._prev = frame
        return taken


class _Window:
    """The last `size` crops in a preallocated ring, and their times."""

    def __init__(self, size: int, crop: tuple[int, int]) -> None:
        self.crops = np.zeros((size, *crop, 3), np.uint8)
        self.times = np.zeros(size, np.float64)
        self.count = 0  # crops held, up to size
        self._next = 0

    def clear(self) -> None:
        self.count = 0
        self._next = 0

    def append(self, crop: np.ndarray, t_s: float) -> None:
        self.crops[self._next] = crop
        self.times[self._next] = t_s
        self._next = (self._next + 1) % len(self.times)
        self.count = min(self.count + 1, len(self.times))

    @property
    def full(self) -> bool:
        return self.count == len(self.times)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Oldest-first copies of the crops and times."""
        order = (np.arange(len(self.times)) + self._next) % len(self.times)
        return self.crops[order], self.times[order]


@dataclass(frozen=True)
class _Pending:
    crops: np.ndarray
    times: np.ndarray
    arrived: float  # monotonic time the newest frame arrived


class LiveClassifier:
    """Classifies a sliding window of live frames in one worker thread, newest window first.

    `open_session` runs on the worker (opening a model can take seconds, on the NPU much more);
    `on_ready(session)`, `on_result(LiveResult)` and `on_error(exc)` are called on the worker
    thread. `push(frame)` is for one producer thread at a time and never blocks on inference.
    One classifier serves one run: after `stop()`, make a new one.
    """

    def __init__(
        self,
        open_session: Callable[[], LiveModel],
        config: LiveConfig = LiveConfig(),
        *,
        on_result: Callable[[LiveResult], None] | None = None,
        on_ready: Callable[[LiveModel], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.config = config
        self._open_session = open_session
        self._on_result = on_result
        self._on_ready = on_ready
        self._on_error = on_error
        # The recipe: from the config, or set by the worker once the model is open (under the lock).
        self._recipe = config.recipe
        # Producer-side state (push's thread only), made once the recipe is known.
        self._sampler: RateSampler | None = None
        self._window: _Window | None = None
        self._since_trigger = 0
        self._last_t: float | None = None
        self._last_crop: tuple[int, np.ndarray] | None = None  # (frame index, crop): repeats reuse it
        # Shared with the worker, under the lock.
        self._lock = threading.Condition()
        self._pending: _Pending | None = None
        self._stats = LiveStats()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._ema: np.ndarray | None = None  # worker only

    # -- control ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker (it opens the session first); frames pushed before then still count."""
        if self._thread is not None:
            raise RuntimeError("live classification is already running")
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="live-inference", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0, *, wait: bool = True) -> bool:
        """Ask the worker to finish the window it is running and end; True once it has ended.

        A window being inferred is not interrupted (onnxruntime cannot be), so waiting can take
        one inference; pending windows are discarded. With `wait=False` it returns at once (the
        GUI does not block) and no result is delivered after the running window's.
        """
        with self._lock:
            self._stopping = True
            self._pending = None
            self._lock.notify_all()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        if not wait:
            return not thread.is_alive()
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("the live inference thread did not stop within %.0f s", timeout_s)
            return False
        self._thread = None
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> LiveStats:
        with self._lock:
            return self._stats

    def pending_count(self) -> int:
        """Windows waiting for the worker: 0 or 1."""
        with self._lock:
            return int(self._pending is not None)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until no window is waiting or running (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while (self._pending is not None or self._busy) and self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    # -- producer ---------------------------------------------------------------------------

    def push(self, frame: TimedFrame) -> None:
        """Offer one frame: sample it, and hand a window to the worker when one is due."""
        arrived = time.monotonic()
        if not self._producer_ready():
            with self._lock:
                self._stats = replace(self._stats, frames_in=self._stats.frames_in + 1)
            return
        assert self._sampler is not None and self._window is not None
        restarted = False
        if self._last_t is not None and not (0.0 <= frame.t_s - self._last_t <= self.config.max_gap_s):
            # A stall or a new source: frames on either side of the gap are not one motion.
            self._sampler.reset()
            self._window.clear()
            self._since_trigger = 0
            restarted = True
        self._last_t = frame.t_s
        taken = self._sampler.offer(frame)
        for f in taken:
            self._window.append(self._crop_of(f), f.t_s)
            self._since_trigger += 1
        ready = self._window.full and self._since_trigger >= self.config.every_n and not self._stopping
        snapshot = self._window.snapshot() if ready else None
        if ready:
            self._since_trigger = 0
        with self._lock:
            s = self._stats
            dropped = 0
            if snapshot is not None:
                dropped = int(self._pending is not None)
                self._pending = _Pending(snapshot[0], snapshot[1], arrived)
                self._lock.notify_all()
            self._stats = replace(
                s,
                frames_in=s.frames_in + 1,
                frames_sampled=s.frames_sampled + len(taken),
                windows_ready=s.windows_ready + int(snapshot is not None),
                windows_dropped=s.windows_dropped + dropped,
                restarts=s.restarts + int(restarted),
                max_pending=max(s.max_pending, int(self._pending is not None)),
            )

    def _producer_ready(self) -> bool:
        if self._window is None:
            with self._lock:
                recipe = self._recipe
            if recipe is None:
                return False
            self._sampler = RateSampler(live_fps(recipe))
            self._window = _Window(recipe.frames, recipe.crop)
        return True

    def _crop_of(self, frame: TimedFrame) -> np.ndarray:
        if self._last_crop is not None and self._last_crop[0] == frame.index:
            return self._last_crop[1]
        assert self._recipe is not None
        crop = model_crop(frame.rgb, self._recipe)
        self._last_crop = (frame.index, crop)
        return crop

    # -- worker -----------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            session = self._open_session()
        except BaseException as exc:  # noqa: BLE001 - reported, never lost in a thread
            log.warning("live mode could not open the model: %s", exc)
            self._fail(exc)
            return
        with self._lock:
            if self._recipe is None:
                self._recipe = getattr(session.bundle, "recipe")
        if self._on_ready is not None:
            self._on_ready(session)
        labels = tuple(getattr(session.bundle, "labels"))
        seq = 0
        while True:
            with self._lock:
                while self._pending is None and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    break
                job, self._pending = self._pending, None
                self._busy = True
            try:
                result = self._classify(session, labels, job, seq)
            except BaseException as exc:  # noqa: BLE001
                log.warning("live inference failed: %s", exc)
                self._fail(exc)
                return
            seq += 1
            if self._on_result is not None:
                try:
                    self._on_result(result)
                except Exception:  # the consumer's bug; the next window may fare better
                    log.exception("live result consumer failed")
            with self._lock:
                # Idle only once the result is delivered, so wait_idle() means "all shown".
                self._busy = False
                self._lock.notify_all()
        del session  # released on the thread that used it

    def _classify(self, session: LiveModel, labels: tuple[str, ...], job: _Pending, seq: int) -> LiveResult:
        assert self._recipe is not None
        tensor = to_model_input(job.crops, self._recipe)
        t0 = time.perf_counter()
        probs = np.asarray(session.run(tensor), np.float32).reshape(-1)
        inference_ms = (time.perf_counter() - t0) * 1000
        alpha = self.config.smoothing
        self._ema = probs.copy() if self._ema is None else alpha * probs + (1.0 - alpha) * self._ema
        with self._lock:
            s = self._stats = replace(self._stats, windows_run=self._stats.windows_run + 1)
        return LiveResult(
            seq=seq, probs=probs, smoothed=self._ema.copy(), top5=top_k(self._ema, labels),
            crops=job.crops, times_s=tuple(float(t) for t in job.times), inference_ms=inference_ms,
            latency_ms=(time.monotonic() - job.arrived) * 1000, stats=s,
        )

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            self._stopping = True
            self._pending = None
            self._busy = False
            self._lock.notify_all()
        if self._on_error is not None:
            self._on_error(exc)
