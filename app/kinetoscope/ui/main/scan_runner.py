"""Whole-clip scans for the window: at most one running, the latest few kept per clip.

Scans run on the window's serial engine lane, after whatever classification is under way, and use
the same cached sessions. Signals about a scan carry its clip, so the window can keep showing
another clip while a scan runs, and show the running scan's windows so far when it comes back.

Segments follow the runner's `rule`: new scans use it, and a kept scan made with another rule is
redrawn by it when asked for (`ScanResult.with_rule`: numpy over the stored probabilities, no re-scan).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.scan import ScanResult, ScanWindow, SegmentRule
from kinetoscope.ui.main.classify_job import SessionCache, StageChanged
from kinetoscope.ui.main.controls_pane import RunOptions
from kinetoscope.ui.main.scan_job import ScanPlanned, ScanRequest, WindowBatch, scan
from kinetoscope.ui.tasks import Failure, Lane, Task, follow_while

# A scan keeps every window's probabilities (400 floats each for Kinetics: ~6 MB an hour at one
# window a second); a few clips' worth covers going back and forth.
KEPT_SCANS = 6


@dataclass
class RunningScan:
    task: Task
    clip: Path
    every_s: float
    planned: ScanPlanned | None = None
    windows: list[ScanWindow] = field(default_factory=list)
    done: int = 0


class ScanRunner(QObject):
    """Starts, cancels and remembers scans; see the module's docstring."""

    started = Signal(Path)
    stage = Signal(Path, str)
    planned = Signal(Path, object)          # ScanPlanned
    windows_arrived = Signal(Path, object, int, int)  # tuple of ScanWindow, done, total
    finished = Signal(Path, object)         # ScanResult
    failed = Signal(Path, object)           # Failure
    cancelled = Signal(Path)
    rule_changed = Signal(object)           # SegmentRule

    def __init__(self, engine: Lane, sessions: SessionCache, parent: QObject | None = None,
                 rule: SegmentRule = SegmentRule()) -> None:
        super().__init__(parent)
        self.engine = engine
        self.sessions = sessions
        self.rule = rule
        self.running: RunningScan | None = None
        self._results: OrderedDict[Path, ScanResult] = OrderedDict()

    def result_for(self, clip: Path) -> ScanResult | None:
        """`clip`'s last finished scan, its segments by the current rule."""
        result = self._results.get(clip)
        if result is not None and result.rule != self.rule:
            # Redrawn once per rule and kept, so the same object comes back until the rule changes.
            result = self._results[clip] = result.with_rule(self.rule)
        return result

    def keep(self, result: ScanResult) -> None:
        """Keep a scan made elsewhere (the library's) as `result.clip`'s last one."""
        self._results[result.clip] = result
        self._results.move_to_end(result.clip)
        while len(self._results) > KEPT_SCANS:
            self._results.popitem(last=False)

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
        task = self.engine.submit(lambda ctx: scan(ctx, sessions, request), name=f"scan {clip.name}")
        job = self.running = RunningScan(task, clip, every_s)
        follow_while(task, lambda: self.running is job, progress=partial(self._on_report, job),
                     succeeded=partial(self._on_finished, job), failed=partial(self._on_failed, job),
                     cancelled=partial(self._on_cancelled, job))
        self.started.emit(clip)

    def cancel(self) -> bool:
        """Stop the running scan (its clip keeps its earlier scan, if any); False if none ran."""
        job = self.running
        if job is None:
            return False
        job.task.cancel()
        self.running = None  # the task's own `cancelled` arrives later and is ignored
        self.cancelled.emit(job.clip)
        return True

    def forget(self, clips: Collection[Path]) -> None:
        """`clips` left the list: drop their scans and stop one running on them."""
        for clip in clips:
            self._results.pop(clip, None)
        if self.running is not None and self.running.clip in clips:
            self.cancel()

    # -- engine reports (GUI thread) -------------------------------------------------------
    def _on_report(self, job: RunningScan, event: object) -> None:
        if isinstance(event, StageChanged):
            self.stage.emit(job.clip, event.text)
        elif isinstance(event, ScanPlanned):
            job.planned = event
            self.planned.emit(job.clip, event)
        elif isinstance(event, WindowBatch):
            job.windows.extend(event.windows)
            job.done = event.done
            self.windows_arrived.emit(job.clip, event.windows, event.done, event.total)

    def _on_finished(self, job: RunningScan, result: ScanResult) -> None:
        self.running = None
        self._results[job.clip] = result
        self._results.move_to_end(job.clip)
        while len(self._results) > KEPT_SCANS:
            self._results.popitem(last=False)
        self.finished.emit(job.clip, self.result_for(job.clip))  # by the rule now, if it changed mid-scan

    def _on_failed(self, job: RunningScan, failure: Failure) -> None:
        self.running = None
        self.failed.emit(job.clip, failure)

    def _on_cancelled(self, job: RunningScan) -> None:
        self.running = None
        self.cancelled.emit(job.clip)
