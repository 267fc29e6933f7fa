"""Runs one benchmark off the GUI thread and reports it by signals.

Its own QThread, not the engine thread: a benchmark must not queue behind (or hold up) the
window's classifications for minutes. Cancellation goes through the engine's CancelToken, checked
between runs; the thread is never terminated.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from kinetoscope.engine.bench.bench_results import BenchEvent, Stage
from kinetoscope.engine.bench.bench_setup import BenchConfig, clip_input, synthetic_input
from kinetoscope.engine.bench.benchmark import open_bench_bundles, run_benchmark
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled, KinetoscopeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchRequest:
    """What the view asked for."""

    model: str
    precisions: tuple[str, ...]
    config: BenchConfig
    clip: Path | None = None   # None: the fixed synthetic clip set
    views: int = 5


# A fast model runs in about a millisecond; one queued event per run would outpace the GUI thread
# (a progress-bar update alone repaints synchronously) and bury the outcome behind a backlog.
FLUSH_INTERVAL_S = 0.1


class _BenchJob(QObject):
    events = Signal(object)         # list[BenchEvent], at most every FLUSH_INTERVAL_S
    finished = Signal(object)       # BenchResult
    failed = Signal(str, str)       # message for people, detail
    cancelled = Signal()

    def __init__(self, request: BenchRequest, token: CancelToken) -> None:
        super().__init__()
        self.request = request
        self.token = token
        self._pending: list[BenchEvent] = []
        self._flushed_at = 0.0

    @Slot()
    def run(self) -> None:
        r = self.request
        try:
            bundles = open_bench_bundles(r.model, r.precisions)
            self.token.raise_if_cancelled()
            bench_input = (clip_input(r.clip, bundles[0].recipe, views=r.views) if r.clip
                           else synthetic_input(bundles[0].recipe, views=r.views))
            result = run_benchmark(bundles, bench_input, r.config, on_event=self._emit, cancel=self.token)
        except Cancelled:
            self._flush()
            self.cancelled.emit()
        except KinetoscopeError as exc:
            log.warning("benchmark failed: %s (%s)", exc.message, exc.detail or "no detail")
            self._flush()
            self.failed.emit(exc.message, exc.detail)
        except Exception as exc:  # a bug: tell the view, log everything
            log.exception("benchmark crashed")
            self._flush()
            self.failed.emit(f"Unexpected error: {exc}", traceback.format_exc())
        else:
            self._flush()
            self.finished.emit(result)

    def _emit(self, event: BenchEvent) -> None:
        if isinstance(event, Stage):  # only the latest stage matters to the view
            self._pending = [e for e in self._pending if not isinstance(e, Stage)]
        self._pending.append(event)
        if time.monotonic() - self._flushed_at >= FLUSH_INTERVAL_S:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.events.emit(batch)
        self._flushed_at = time.monotonic()


class BenchmarkRunner(QObject):
    """Starts a benchmark in a fresh thread; its signals arrive on the GUI thread."""

    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    stopped = Signal()   # the thread has ended, whatever the outcome

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _BenchJob | None = None
        self._token: CancelToken | None = None

    @property
    def running(self) -> bool:
        """True from `start` until the thread has ended and `stopped` is emitted."""
        return self._thread is not None

    def start(self, request: BenchRequest) -> None:
        if self.running:
            raise RuntimeError("a benchmark is already running")
        self._token = CancelToken()
        self._thread = QThread()
        self._thread.setObjectName("kinetoscope-benchmark")
        self._job = _BenchJob(request, self._token)
        self._job.moveToThread(self._thread)
        self._thread.started.connect(self._job.run)
        # Into this object's slots (queued onto the GUI thread), not signal-to-signal relays: the
        # outcome must arrive even though the job object goes away as soon as its thread ends.
        self._job.events.connect(self._on_events)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self._on_failed)
        self._job.cancelled.connect(self._on_cancelled)
        for done in (self._job.finished, self._job.failed, self._job.cancelled):
            done.connect(self._thread.quit)
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    @Slot(object)
    def _on_events(self, batch: list[BenchEvent]) -> None:
        for event in batch:
            self.event.emit(event)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self.finished.emit(result)

    @Slot(str, str)
    def _on_failed(self, message: str, detail: str) -> None:
        self.failed.emit(message, detail)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel and wait for the current step (one inference, or one model load) to end."""
        self.cancel()
        if self._thread is not None:
            self._thread.quit()
            if not self._thread.wait(timeout_ms):
                log.error("the benchmark thread did not stop within %d ms", timeout_ms)
                return
        self._on_thread_finished()

    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        self._thread.wait()
        self._job = None
        self._thread = None
        self.stopped.emit()
