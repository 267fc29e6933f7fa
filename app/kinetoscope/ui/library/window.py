"""The Library window: folders indexed by action, a search over them, results opened at the moment.

A tool window of the main window. Its database work runs on its own lane (`LibraryReads`), the
indexing on another (`IndexRunner`), thumbnails on a third (`Thumbnails`); the GUI thread only
presents. Closing the window hides it: indexing goes on until the app quits. Choosing a result
(Enter, double-click) hands the clip, the moment and the library's scan of it to `open_moment`,
which the main window provides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QSplitter, QWidget

from kinetoscope.engine.inference.scan import ScanResult
from kinetoscope.engine.library.database import LibraryPaths
from kinetoscope.engine.library.folders import add_folder, remove_folder
from kinetoscope.engine.library.indexer import FileIndexed, IndexReport
from kinetoscope.engine.library.search import SearchQuery, known_labels, search
from kinetoscope.engine.library.status import library_status
from kinetoscope.engine.library.store import stored_scan
from kinetoscope.engine.modelfiles.model_store import ModelLocation, available_models
from kinetoscope.ui.library.folders_pane import FoldersPane
from kinetoscope.ui.library.index_runner import IndexRunner
from kinetoscope.ui.library.reads import LibraryReads
from kinetoscope.ui.library.search_pane import SearchPane
from kinetoscope.ui.library.thumbnails import Thumbnails
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.layouts import column
from kinetoscope.ui.widgets.placement import close_keys

OpenMoment = Callable[[Path, float, ScanResult | None], None]


class LibraryWindow(QWidget):
    def __init__(self, parent: QWidget | None = None, *, open_moment: OpenMoment,
                 preferred_model: Callable[[], str | None] = lambda: None,
                 device: Callable[[], str] = lambda: "cpu", paths: LibraryPaths | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Library")  # the platform adds " — Kinetoscope"
        self.paths = paths or LibraryPaths.default()
        self._open_moment = open_moment
        self._preferred_model = preferred_model
        self._device = device     # the main window's device choice, read when indexing starts
        self.reads = LibraryReads(self.paths, self)
        self.runner = IndexRunner(self.paths, self)
        self.thumbnails = Thumbnails(self)
        self.errors = ErrorPanel(where="Library window")
        self.folders = FoldersPane()
        self.search = SearchPane(self.thumbnails)
        self._search_seq = 0
        self.last_report: IndexReport | None = None

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.folders)
        splitter.addWidget(self.search)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 800])
        column(self.errors, (splitter, 1), parent=self)
        self.resize(1120, 700)

        self.reads.notice.connect(lambda text: self.errors.show_message(text, severity="warning"))
        self.folders.add_requested.connect(self.choose_folder)
        self.folders.remove_requested.connect(self.remove_folder)
        self.folders.index_requested.connect(self.index_with)
        self.folders.pause_toggled.connect(self.runner.set_paused)
        self.folders.cancel_requested.connect(self.runner.cancel)
        self.runner.started.connect(lambda: self.folders.set_running(True))
        self.runner.progress.connect(self.folders.show_progress)
        self.runner.file_done.connect(self._file_done)
        self.runner.finished.connect(self._index_finished)
        self.runner.failed.connect(self._index_failed)
        self.runner.cancelled.connect(self._index_cancelled)
        self.search.query_changed.connect(self.run_search)
        self.search.results.moment_chosen.connect(self.open_moment)
        close_keys(self)
        self.folders.set_models(available_models(), preferred_model())
        self.refresh()

    # -- folders and indexing ---------------------------------------------------------------
    def refresh(self) -> None:
        """Read the library's folders, counts and labels again (off the GUI thread)."""
        db_path = self.paths.db

        def read(db):  # noqa: ANN001, ANN202
            return library_status(db, db_path), known_labels(db)

        self.reads.run(read, self._show_status, self._failed, name="status")

    def _show_status(self, answer) -> None:  # noqa: ANN001 - (LibraryStatus, labels)
        status, labels = answer
        self.folders.show_status(status)
        self.search.set_labels(labels)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of videos to the library")
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path, *, index: bool = True) -> None:
        """Add `folder`; then index it with the chosen model, unless a run is going (it sees it next time)."""
        paths = self.paths

        def added(_result: object) -> None:
            self.refresh()
            if index and not self.runner.running:
                self.index_with(self.folders.model_combo.currentData())

        self.reads.run(lambda db: add_folder(db, paths, folder), added, self._failed, name="add folder")

    def remove_folder(self, folder: str) -> None:
        paths = self.paths
        self.reads.run(lambda db: remove_folder(db, paths, folder), lambda _n: self._after_change(), self._failed,
                       name="remove folder")

    def index_with(self, model: ModelLocation | None) -> None:
        if model is not None:
            self.errors.dismiss()
            self.runner.start(model.path, self._device())

    def _file_done(self, f: FileIndexed) -> None:
        self._after_change()

    def _after_change(self) -> None:
        self.refresh()
        if self.search.query() is not None:
            self.run_search(self.search.query())

    def _index_finished(self, report: IndexReport) -> None:
        self.last_report = report
        if report.cancelled:    # the indexer stops between files and reports what it finished
            self._index_cancelled()
            return
        self.folders.set_running(False)
        failed = f"; {report.failed} cannot be read" if report.failed else ""
        self.folders.state.setText(f"Indexed {report.indexed} file{'' if report.indexed == 1 else 's'} with "
                                   f"{report.model} ({report.sync.summary()}){failed}.")
        if report.notice:
            self.errors.show_message(report.notice, severity="warning")
        self._after_change()

    def _index_failed(self, failure: Failure) -> None:
        self.folders.set_running(False)
        self.folders.state.setText("Indexing stopped.")
        self.errors.show_message(f"Could not index the library. {failure.message}", failure.detail,
                                 hint=failure.hint)
        self._after_change()

    def _index_cancelled(self) -> None:
        self.folders.set_running(False)
        self.folders.state.setText("Cancelled; the files indexed so far stay. Index goes on from here.")
        self._after_change()

    # -- searching and opening -----------------------------------------------------------------
    def run_search(self, query: SearchQuery) -> None:
        self._search_seq += 1
        seq = self._search_seq

        def timed(db):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            return search(db, query), (time.perf_counter() - t0) * 1000

        def done(answer) -> None:  # noqa: ANN001
            if seq == self._search_seq:   # a later search replaced this one
                self.search.show_results(query, *answer)

        self.reads.run(timed, done, self._failed, name="search")

    def open_moment(self, path: Path, at_s: float, model_id: str) -> None:
        """Open `path` in the main window at `at_s`, with the library's scan of it by `model_id`."""
        self.reads.run(lambda db: stored_scan(db, path, model_id),
                       lambda scan: self._open_moment(path, at_s, scan), self._failed, name="open moment")

    def _failed(self, failure: Failure) -> None:
        self.errors.show_message(failure.message, failure.detail, hint=failure.hint)

    def shutdown(self) -> None:
        """Stop indexing and the window's threads (the app is quitting)."""
        self.runner.shutdown()
        self.thumbnails.shutdown()
        self.reads.shutdown()
