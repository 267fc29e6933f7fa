"""Whole-clip scans for the window: at most one running; finished ones kept in the clips' records.

Scans run on the window's serial engine lane, after whatever classification is under way, and use
the same cached sessions. Signals about a scan carry its clip, so the window can keep showing
another clip while a scan runs, and show the running scan's windows so far when it comes back.

The job (`scan`, below) hands its windows over in batches (`BatchedReport`): at one window a second,
an hour-long file makes 3,600 windows, which the demo model gets through at hundreds a second.

Segments follow the runner's `rule`: new scans use it, and a kept scan made with another rule is
redrawn by it when asked for (`ScanResult.with_rule`: numpy over the stored probabilities, no re-scan).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.results import DeviceReport, ModelRef, Timings
from kinetoscope.engine.inference.scan import ScanProgress, ScanResult, ScanWindow, SegmentRule, segments_from
from kinetoscope.ui.main.clip_records import ClipStore, RunOptions
from kinetoscope.ui.main.session_cache import EngineRunner, SessionCache, StageChanged, open_clip_and_model
from kinetoscope.ui.tasks import BatchedReport, Failure, Lane, Task, TaskContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRequest:
    """Scan `clip` with the bundle at `model_path` on `device`, a window every `every_s` seconds
    (0: back to back), merging windows into segments by `rule`."""

    clip: Path
    model_path: Path
    device: str
    every_s: float
    rule: SegmentRule = SegmentRule()


@dataclass(frozen=True)
class ScanPlanned:
    """The scan's shape, once the model is open and the clip planned."""

    duration_s: float
    windows_total: int
    labels: tuple[str, ...]
    model: ModelRef
    device: DeviceReport


@dataclass(frozen=True)
class WindowBatch:
    """Windows finished since the last batch, and how far the scan has got."""

    windows: tuple[ScanWindow, ...]
    done: int
    total: int


def scan(ctx: TaskContext, sessions: SessionCache, request: ScanRequest) -> ScanResult:
    """The engine-lane job behind "Scan whole clip"."""
    log.info("scan %s with %s on %s, every %s", request.clip, request.model_path.name, request.device,
             f"{request.every_s:g} s" if request.every_s else "window (back to back)")
    info, classifier = open_clip_and_model(ctx, sessions, request.clip, request.model_path, request.device)
    ctx.report(StageChanged(f"Scanning on {classifier.report.label}…"))
    labels = tuple(classifier.bundle.labels)
    state = {"planned": False, "done": 0, "total": 0}
    batch = BatchedReport(ctx, lambda windows: WindowBatch(tuple(windows), state["done"], state["total"]))

    def on_progress(p: ScanProgress) -> None:
        state["done"], state["total"] = p.windows_done, p.windows_total
        if not state["planned"]:
            state["planned"] = True
            ctx.report(ScanPlanned(info.duration_s, p.windows_total, labels,
                                   ModelRef.of(classifier.bundle, classifier.bundle.recipe), classifier.report))

    def on_window(window: ScanWindow) -> None:
        state["done"] = window.index + 1
        batch.add(window)

    every = request.every_s if request.every_s > 0 else None
    result = classifier.scan(request.clip, every_s=every, rule=request.rule, on_window=on_window, on_progress=on_progress,
                             cancel=ctx.token, info=info)
    batch.flush(always=True)  # the last windows, and 100%
    log.info("scan %s done: %d windows, %d segments (%.0f ms)", request.clip.name, len(result.windows),
             len(result.segments), result.timings.total_ms)
    return result


@dataclass
class RunningScan:
    clip: Path
    every_s: float
    options: RunOptions
    task: Task | None = None
    planned: ScanPlanned | None = None
    windows: list[ScanWindow] = field(default_factory=list)
    done: int = 0

    def so_far(self, rule: SegmentRule) -> ScanResult | None:
        """The windows that arrived, as a partial scan (None before the first)."""
        if self.planned is None or not self.windows:
            return None
        w, p = self.windows, self.planned
        every = self.every_s or (w[1].start_s - w[0].start_s if len(w) > 1 else w[0].end_s - w[0].start_s)
        return ScanResult(self.clip, p.model, p.device, every, tuple(w), segments_from(w, p.labels, rule), rule,
                          Timings(), p.duration_s, 0.0, p.labels, partial=True)


class ScanRunner(EngineRunner):
    """Starts, cancels and remembers scans (`finished` carries the ScanResult); see the module's docstring."""

    planned = Signal(Path, object)          # ScanPlanned
    windows_arrived = Signal(Path, object, int, int)  # tuple of ScanWindow, done, total
    rule_changed = Signal(object)           # SegmentRule
    job_name = "scan"

    def __init__(self, engine: Lane, sessions: SessionCache, store: ClipStore, parent: QObject | None = None,
                 rule: SegmentRule = SegmentRule()) -> None:
        super().__init__(engine, sessions, store, parent)
        self.rule = rule
        self.running: RunningScan | None = None

    def result_for(self, clip: Path) -> ScanResult | None:
        """`clip`'s last finished scan, its segments by the current rule."""
        return self.store.scan_for(clip, self.rule)

    def set_rule(self, rule: SegmentRule) -> None:
        """Merge windows into segments by `rule` from now on: kept scans and the next ones."""
        if rule != self.rule:
            self.rule = rule
            self.rule_changed.emit(rule)

    def scan(self, clip: Path, options: RunOptions, every_s: float) -> None:
        """Scan `clip` with `options`' model and device, a window every `every_s` s (0: back to back);
        a scan already running is cancelled first."""
        if self.running is not None:
            self.cancel()
        request = ScanRequest(Path(clip), Path(options.model_path), options.device, max(0.0, every_s), self.rule)
        sessions = self.sessions
        job = RunningScan(clip, every_s, options)
        job.task = self._start(clip, lambda ctx: scan(ctx, sessions, request),
                               report=lambda event: self._on_report(job, event),
                               finished=lambda result: self._on_finished(job, result),
                               failed=lambda failure: self._on_failed(job, failure),
                               cancelled=lambda: self._on_cancelled(job))
        self.running = job
        self.started.emit(clip)

    def cancel(self) -> bool:
        """Stop the running scan; False if none ran. Its clip keeps its earlier complete scan, else
        the windows computed so far, marked partial."""
        job = self.running
        if job is None:
            return False
        self._newest.drop()  # its own `cancelled` arrives later and is ignored
        self._on_cancelled(job)
        return True

    def forget(self, clips: Collection[Path]) -> None:
        """`clips` are leaving the list: stop a scan running on one of them."""
        if self.running is not None and self.running.clip in clips:
            self.cancel()

    # -- engine reports (GUI thread) -------------------------------------------------------
    def _on_report(self, job: RunningScan, event: object) -> None:
        if isinstance(event, ScanPlanned):
            job.planned = event
            self.planned.emit(job.clip, event)
        elif isinstance(event, WindowBatch):
            job.windows.extend(event.windows)
            job.done = event.done
            self.windows_arrived.emit(job.clip, event.windows, event.done, event.total)

    def _on_finished(self, job: RunningScan, result: ScanResult) -> None:
        self.running = None
        self.store.keep_scan(job.clip, result)
        self.finished.emit(job.clip, self.result_for(job.clip))  # by the rule now, if it changed mid-scan

    def _on_failed(self, job: RunningScan, failure: Failure) -> None:
        self.running = None
        self.failed.emit(job.clip, failure)

    def _on_cancelled(self, job: RunningScan) -> None:
        self.running = None
        earlier = self.store.scan_for(job.clip, self.rule)
        if (earlier is None or earlier.partial) and (so_far := job.so_far(self.rule)) is not None:
            self.store.keep_scan(job.clip, so_far)
        self.cancelled.emit(job.clip)
