"""Scanning a whole clip: the model's window slid from start to end, and the spans it finds.

`scan_clip` places a window of the model's frames every S seconds (default: back to back), decodes
the clip once, forward, holding only the frames of the window in hand, and runs each window through
the session, with progress per window and cooperative cancel between windows. Memory stays flat in
the clip's length: per window only its probabilities are kept.

`segments_from` then merges consecutive windows into labelled spans by a `SegmentRule` the user can
change; it is pure and fast, so a window can re-run it as a slider moves.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.inference.results import DeviceReport, ModelRef, Prediction, Timings, top_k
from kinetoscope.engine.inference.session import CpuConfig, ModelSession
from kinetoscope.engine.media.preprocess import to_model_input
from kinetoscope.engine.media.read_ahead import read_ahead
from kinetoscope.engine.media.scan_plan import plan_scan
from kinetoscope.engine.media.video import VideoInfo, VideoReader
from kinetoscope.engine.memory import peak_rss_mb

log = logging.getLogger(__name__)

# The CPU settings for a session opened to scan: decoding runs beside inference the whole time,
# so idle inference threads must not spin on the cores the decoder needs (see CpuConfig.spinning).
SCAN_CPU = CpuConfig(spinning=False)


@dataclass(frozen=True)
class ScanWindow:
    """One window of a scan: when it was, and what the model said about it."""

    index: int
    start_s: float
    end_s: float
    probs: np.ndarray = field(repr=False)   # float32, one per class
    top5: tuple[Prediction, ...]
    inference_ms: float

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4),
                "top5": [p.to_json() for p in self.top5]}


@dataclass(frozen=True)
class SegmentRule:
    """How consecutive windows become labelled spans.

    1. Each class's probability is averaged over `smoothing` consecutive windows (a centred moving
       average; 1 = none), which keeps a single odd window from splitting a span.
    2. Each window takes the class most probable after smoothing; consecutive windows with the same
       class form a run.
    3. Runs shorter than `min_windows` are dropped; a dropped run between two runs of the same class
       is bridged, joining them.
    4. A run becomes a segment if its class's mean probability over its windows (unsmoothed) is at
       least `threshold`; otherwise that stretch is left unlabelled.

    Defaults: threshold 0.25, smoothing 3, min_windows 1 — spans of one window still show (a clip
    shorter than two windows has one), and the smoothing already removes isolated blips.
    """

    threshold: float = 0.25
    smoothing: int = 3
    min_windows: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise BadInput(f"The segment threshold must be between 0 and 1, not {self.threshold!r}.")
        if self.smoothing < 1 or self.min_windows < 1:
            raise BadInput("Segment smoothing and minimum windows must be at least 1.")

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "smoothing": self.smoothing, "min_windows": self.min_windows}


@dataclass(frozen=True)
class Segment:
    """A span of the clip where one action was seen; `prob` is its mean probability over the span's windows."""

    start_s: float
    end_s: float
    label: str
    prob: float

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4), "label": self.label,
                "prob": round(self.prob, 6)}


@dataclass(frozen=True)
class ScanProgress:
    """Reported before each window is read, and once after the last."""

    windows_done: int
    windows_total: int
    position_s: float   # where in the clip the scan has got to


@dataclass(frozen=True)
class ScanResult:
    clip: Path
    model: ModelRef
    device: DeviceReport
    every_s: float
    windows: tuple[ScanWindow, ...]
    segments: tuple[Segment, ...]
    rule: SegmentRule
    timings: Timings
    clip_duration_s: float
    peak_rss_mb: float
    labels: tuple[str, ...] = field(default=(), repr=False)   # the model's class names, in output order
    partial: bool = False  # stopped before the end: the windows cover the clip only so far

    def with_rule(self, rule: SegmentRule) -> ScanResult:
        """The same scan with its segments redrawn by another rule."""
        return replace(self, rule=rule, segments=segments_from(self.windows, self.labels, rule))

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": str(self.clip),
            "clip_duration_s": round(self.clip_duration_s, 4),
            "every_s": round(self.every_s, 4),
            "rule": self.rule.to_json(),
            "segments": [s.to_json() for s in self.segments],
            "windows": [w.to_json() for w in self.windows],
            "model": self.model.to_json(),
            "device": self.device.to_json(),
            "timings_ms": self.timings.to_json(),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            **({"partial": True} if self.partial else {}),
        }


def segments_from(windows: Sequence[ScanWindow], labels: Sequence[str],
                  rule: SegmentRule = SegmentRule()) -> tuple[Segment, ...]:
    """Merge consecutive windows into labelled spans by `rule` (see `SegmentRule`).

    A span runs from its first window's start to where the window after its last one starts (or
    its last window's end, whichever is earlier), so overlapping windows give abutting spans.
    """
    n = len(windows)
    if n == 0:
        return ()
    probs = np.stack([w.probs for w in windows]).astype(np.float32, copy=False)
    best = np.argmax(_moving_average(probs, rule.smoothing), axis=1)
    starts, lengths, classes = _runs(best)
    if rule.min_windows > 1:
        classes = np.where(lengths >= rule.min_windows, classes, -1)
        starts, lengths, classes = _bridge(starts, lengths, classes)
    begin = np.array([w.start_s for w in windows])
    end = np.array([w.end_s for w in windows])
    # A window owns the clip up to where the next starts, if they overlap.
    end[:-1] = np.minimum(end[:-1], begin[1:])
    segments = []
    for s, length, c in zip(starts.tolist(), lengths.tolist(), classes.tolist()):
        if c < 0:
            continue
        mean = float(probs[s:s + length, c].mean())
        if mean >= rule.threshold:
            segments.append(Segment(float(begin[s]), float(end[s + length - 1]), labels[c], mean))
    return tuple(segments)


def _moving_average(probs: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along the windows; near the ends, over the windows there are."""
    if width <= 1 or len(probs) == 1:
        return probs
    before = (width - 1) // 2
    after = width - 1 - before
    total = np.concatenate([np.zeros((1, probs.shape[1]), np.float64), np.cumsum(probs, axis=0, dtype=np.float64)])
    idx = np.arange(len(probs))
    lo = np.maximum(idx - before, 0)
    hi = np.minimum(idx + after + 1, len(probs))
    return (total[hi] - total[lo]) / (hi - lo)[:, None]


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding: (first index, length, value) of each run of equal values."""
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(values)]]))
    return starts, lengths, values[starts]


def _bridge(starts: np.ndarray, lengths: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give dropped runs (-1) lying between two runs of one class that class, then merge equal runs."""
    per_window = np.repeat(classes, lengths)
    kept = np.flatnonzero(per_window >= 0)
    if len(kept):
        # For each window, the class of the nearest kept window before and after it.
        prev_i = np.maximum.accumulate(np.where(per_window >= 0, np.arange(len(per_window)), -1))
        nxt = np.where(per_window >= 0, np.arange(len(per_window)), len(per_window))
        next_i = np.minimum.accumulate(nxt[::-1])[::-1]
        inside = (prev_i >= 0) & (next_i < len(per_window))
        same = np.zeros_like(inside)
        same[inside] = per_window[prev_i[inside]] == per_window[next_i[inside]]
        fill = (per_window < 0) & same
        per_window = np.where(fill, per_window[np.clip(prev_i, 0, None)], per_window)
    return _runs(per_window)


def scan_clip(
    clip: str | Path,
    session: ModelSession,
    *,
    every_s: float | None = None,
    rule: SegmentRule = SegmentRule(),
    on_window: Callable[[ScanWindow], None] | None = None,
    on_progress: Callable[[ScanProgress], None] | None = None,
    cancel: CancelToken | None = None,
    info: VideoInfo | None = None,
) -> ScanResult:
    """Scan `clip` with `session`: a window of the model's frames every `every_s` seconds.

    `every_s=None` places windows back to back (a window lasts the recipe's frames over its
    sampling rate). Each window is one view, prepared as `classify_clip` prepares views; the
    recipe's number of views is ignored. `on_window` is called as each window completes,
    `on_progress` before each window and after the last, and `cancel` is checked between windows.
    Raises BadVideo for unreadable clips, BadInput for a bad spacing, Cancelled when cancelled.
    """
    started = time.perf_counter()
    clip = Path(clip)
    bundle = session.bundle
    recipe = bundle.recipe
    decode_s = preprocess_s = inference_s = 0.0
    windows: list[ScanWindow] = []
    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(VideoReader(clip, resize=recipe.resize, info=info, crop=recipe.crop))
        plan = plan_scan(reader.info, recipe, every_s)
        total = len(plan)
        log.info("scanning %s: %d windows of %.2f s, one every %.2f s", clip.name, total, plan.window_s, plan.every_s)
        # The next windows are decoded on a thread while the model runs on this one (read_ahead.py).
        frames_of = stack.enter_context(read_ahead(reader.read_windows(plan.windows()), recipe.crop, depth=2,
                                                   name="scan read-ahead"))
        position = 0.0
        for done in range(total):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if on_progress is not None:
                on_progress(ScanProgress(done, total, position))
            t0 = time.perf_counter()
            frames = next(frames_of)
            t1 = time.perf_counter()
            tensor = to_model_input(frames.crops, recipe)
            t2 = time.perf_counter()
            probs = np.asarray(session.run(tensor), np.float32)
            t3 = time.perf_counter()
            decode_s += t1 - t0
            preprocess_s += t2 - t1
            inference_s += t3 - t2
            view = frames.view
            window = ScanWindow(index=view.index, start_s=view.start_s, end_s=view.end_s, probs=probs,
                                top5=top_k(probs, bundle.labels), inference_ms=(t3 - t2) * 1000)
            windows.append(window)
            position = view.end_s
            if on_window is not None:
                on_window(window)
        duration = reader.info.duration_s
    if on_progress is not None:
        on_progress(ScanProgress(total, total, duration))
    timings = Timings.of_run(session.load_ms, started, decode_s, preprocess_s, inference_s)
    return ScanResult(
        clip=clip,
        model=ModelRef.of(bundle, recipe),
        device=session.report,
        every_s=plan.every_s,
        windows=tuple(windows),
        segments=segments_from(windows, bundle.labels, rule),
        rule=rule,
        timings=timings,
        clip_duration_s=duration,
        peak_rss_mb=peak_rss_mb(),
        labels=tuple(bundle.labels),
    )
