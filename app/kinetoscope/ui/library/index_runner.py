"""Runs the library's indexer off the GUI thread, with pause, resume and cancel.

The indexer is made on its lane's thread (opening the model can take seconds); a pause asked for
before it exists is applied as soon as it does. Reports arrive on the GUI thread as signals.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.scan import SCAN_CPU
from kinetoscope.engine.library.database import LibraryPaths
from kinetoscope.engine.library.indexer import FileIndexed, Indexer, IndexProgress, IndexReport
from kinetoscope.ui.tasks import Failure, Lane, Op, Task, TaskContext


class IndexRunner(QObject):
    """One indexing run at a time; see the module's docstring."""

    started = Signal()
    progress = Signal(object)      # IndexProgress
    file_done = Signal(object)     # FileIndexed
    finished = Signal(object)      # IndexReport
    failed = Signal(object)        # Failure
    cancelled = Signal()
    paused_changed = Signal(bool)

    def __init__(self, paths: LibraryPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.lane = Lane("library index", parent=self)
        self.task: Task | None = None
        self._indexer: Indexer | None = None
        self._paused = False
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.task is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self, model: Path, device: str = "cpu") -> None:
        """Index the library with `model` (a bundle path) on `device`; nothing if a run is going."""
        if self.task is not None:
            return
        self._paused = False
        # One run at a time (start refuses while one goes), so every report is this run's.
        self.task = (Op(self.lane, lambda ctx: self._run(ctx, model, device), name="index").progress(self._on_report)
                     .success(self._on_finished).failure(self._on_failed).cancelled(self._on_cancelled).run())
        self.started.emit()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
            if self._indexer is not None:
                self._indexer.pause() if paused else self._indexer.resume()
        self.paused_changed.emit(paused)

    def cancel(self) -> None:
        if self.task is None:
            return
        self.task.cancel()
        with self._lock:
            if self._indexer is not None:
                self._indexer.cancel()

    def shutdown(self) -> None:
        self.cancel()
        self.lane.shutdown()

    # -- worker side -----------------------------------------------------------------------
    def _run(self, ctx: TaskContext, model: Path, device: str) -> IndexReport:
        classifier = VideoClassifier.open(model, device, cpu=SCAN_CPU)
        ctx.raise_if_cancelled()
        indexer = Indexer(self.paths, classifier, on_progress=ctx.report, on_file=ctx.report, cancel=ctx.token)
        with self._lock:
            self._indexer = indexer
            if self._paused:
                indexer.pause()
        try:
            return indexer.run()
        finally:
            with self._lock:
                self._indexer = None

    # -- GUI side --------------------------------------------------------------------------
    def _on_report(self, event: object) -> None:
        if isinstance(event, IndexProgress):
            self.progress.emit(event)
        elif isinstance(event, FileIndexed):
            self.file_done.emit(event)

    def _on_finished(self, report: IndexReport) -> None:
        self.task = None
        self.finished.emit(report)

    def _on_failed(self, failure: Failure) -> None:
        self.task = None
        self.failed.emit(failure)

    def _on_cancelled(self) -> None:
        self.task = None
        self.cancelled.emit()
