"""The model manager pane: AI Hub's Kinetics-400 models × precisions, downloaded, verified, used.

A standalone widget the main window opens from a menu. It only presents and schedules: two lanes
(`kinetoscope.ui.tasks`) do the work. Downloads run side by side on the "downloads" lane; the
catalog, the scans of the model folders, imports, verification, removal and discards run in order
on the "models" lane, so nothing touches the disk on the GUI thread. "Use this model" emits
`use_model(model_id, precision)`. Failures show in the pane's error banner, details one click away.

A model another process is downloading (a second window, `kinetoscope models download`) is shown
as such, its actions disabled. The pane learns of it when it rescans its rows, is shown or its
window is activated (a peek at the model's lock file), and re-checks once a second only while such
a row is on screen, so the row turns back by itself when the other process ends.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMenu,
                               QMessageBox, QPushButton, QTableWidget, QTableWidgetItem,
                               QToolButton, QWidget)

from kinetoscope.engine.modelfiles.catalog import Catalog, load_catalog
from kinetoscope.engine.modelfiles.download import DownloadProgress, PartialDownload
from kinetoscope.engine.modelfiles.http_client import Timeouts
from kinetoscope.engine.modelfiles.model_install import import_model, remove_model, verify_model
from kinetoscope.engine.modelfiles.model_library import (DiskUse, ModelRow, Status, discard_download, disk_space,
                                                         download_and_install, downloads_elsewhere, list_models,
                                                         paused_download)
from kinetoscope.ui.models.text import ELSEWHERE_TIP, failure_text, published_text, published_tip
from kinetoscope.ui.tasks import Failure, Lane, Op, Task, TaskContext
from kinetoscope.ui.widgets._look import is_dark
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.layouts import column, fill, row
from kinetoscope.ui.widgets.progress_bar import ProgressBar
from kinetoscope.words import download_text, elsewhere_text, model_size, model_status, size_text


COLUMNS = ("Model", "Precision", "Size", "NPU latency · accuracy", "Status", "")
COL_STATUS, COL_ACTIONS = 4, 5
PARALLEL_DOWNLOADS = 4  # more wait their turn, saying "Starting…"
STALL_NOTICE_S = 2.0  # no bytes for this long: say so rather than show a stale speed
ELSEWHERE_CHECK_MS = 1000  # re-check of models another process is downloading, only while there are any
Key = tuple[str, str]


class ModelManagerPane(QWidget):
    """The table of models with their actions; emits `use_model` when the user picks one."""

    use_model = Signal(str, str)      # model id, precision
    models_changed = Signal()         # something was installed or removed

    def __init__(self, parent: QWidget | None = None, *, timeouts: Timeouts = Timeouts()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self._timeouts = timeouts
        self._catalog: Catalog | None = None
        self._rows: list[ModelRow] = []
        self._downloads_lane = Lane("downloads", PARALLEL_DOWNLOADS, parent=self)
        self._files_lane = Lane("models", parent=self)  # catalog, scans, import, verify, remove, discard
        self._files_lane.unhandled.connect(self._show_failure)  # its jobs' failures, in the banner
        self._downloads: dict[Key, Task] = {}
        self._bars: dict[Key, ProgressBar] = {}
        self._scanning = False       # a scan of the model folders is on the lane
        self._rescan = False         # another was asked for meanwhile
        self._scanned = False        # the rows on screen come from a scan
        self._peeking = False        # a re-check of the download locks is on the lane
        self._verify_problems: dict[Key, tuple[str, ...]] = {}
        self._failed: dict[Key, Failure] = {}  # the last download of a row failed: said on that row
        self._last_progress: dict[Key, tuple[float, DownloadProgress]] = {}
        self._stall_timer = QTimer(self, interval=1000)
        self._stall_timer.timeout.connect(self._notice_stalls)
        self._elsewhere: set[Key] = set()             # rows another process is downloading
        self._elsewhere_timer = QTimer(self, interval=ELSEWHERE_CHECK_MS)
        self._elsewhere_timer.timeout.connect(self._recheck_elsewhere)

        self._intro = QLabel("Loading the model catalog…", wordWrap=True)
        self._table = QTableWidget(0, len(COLUMNS))
        self._table.setHorizontalHeaderLabels(COLUMNS)
        self._table.verticalHeader().setVisible(False)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._table.setAlternatingRowColors(True)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        self.errors = ErrorPanel(where="models")
        self._message = QLabel(wordWrap=True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setObjectName("ModelManagerMessage")
        self._message.hide()
        self._disk = QLabel()

        import_button = QToolButton(text="Import…")
        import_button.setToolTip("Install a release zip or an unpacked bundle you already have")
        import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(import_button)
        menu.addAction("Zip file…", self._ask_import_zip)
        menu.addAction("Folder…", self._ask_import_folder)
        import_button.setMenu(menu)
        self._verify_button = QPushButton("Verify all")
        self._verify_button.setToolTip("Re-check the installed files against their recorded checksums")
        self._verify_button.clicked.connect(self.verify_all)

        column(self.errors, self._intro, (self._table, 1), self._message,
               row((self._disk, 1), import_button, self._verify_button), parent=self)
        self.resize(880, 420)
        self._load_catalog()

    # --- state ------------------------------------------------------------------------------

    def is_ready(self) -> bool:
        """The catalog is loaded and the rows show a scan of the disk."""
        return self._catalog is not None and self._scanned

    def row_index(self, key: Key) -> int:
        return next(i for i, r in enumerate(self._rows) if r.key == key)

    def status_text(self, key: Key) -> str:
        """What the Status column says for a model (the progress bar's text while downloading)."""
        if key in self._bars:
            return self._bars[key].text()
        item = self._table.item(self.row_index(key), COL_STATUS)
        return (item.data(Qt.ItemDataRole.UserRole) or item.text()) if item else ""

    def row_message(self, key: Key) -> str:
        """Why the row's last download failed, as its row says it ("" when it did not)."""
        failure = self._failed.get(key)
        return failure_text(failure.message, failure.resumable) if failure else ""

    def action_button(self, key: Key, text: str) -> QPushButton:
        """The row's button with this label (for tests and accessibility tools)."""
        cell = self._table.cellWidget(self.row_index(key), COL_ACTIONS)
        for button in cell.findChildren(QPushButton):
            if button.text() == text:
                return button
        raise LookupError(f"no {text!r} button for {key}")

    def downloading_elsewhere(self, key: Key) -> bool:
        """Whether the row says another process is downloading this model."""
        return key in self._elsewhere

    def message(self) -> str:
        """The error banner's message, else the note under the table ("" when none is shown)."""
        if self.errors.message:
            return self.errors.message
        return "" if self._message.isHidden() else self._message.text()

    def _load_catalog(self) -> None:
        # The catalog may be a URL (KINETOSCOPE_CATALOG): never fetch it on the GUI thread.
        Op(self._files_lane, lambda _ctx: load_catalog(), name="load catalog").success(self._catalog_loaded).run()

    def _catalog_loaded(self, catalog: Catalog) -> None:
        self._catalog = catalog
        releases = ", ".join(sorted({e.release for e in catalog.entries} or {catalog.release}))
        self._intro.setText(f"Kinetics-400 action classifiers from Qualcomm AI Hub (release {releases}). "
                            "NPU latency is AI Hub's published figure for a Snapdragon X Elite; accuracy is the "
                            "published Kinetics-400 top-1, per video (several views of each) or per clip (one "
                            "view): compare like with like. The tooltips give the sources.")
        self.refresh()

    def refresh(self) -> None:
        """Rescan the model folders on the models lane, then rebuild the table from what it found."""
        catalog = self._catalog
        if catalog is None:
            return
        if self._scanning:
            self._rescan = True
            return
        self._scanning = True
        (Op(self._files_lane, lambda _ctx: (list_models(catalog), disk_space()), name="scan")
         .success(self._scanned_rows).run().ended.connect(self._scan_ended))

    def _scanned_rows(self, found: tuple[list[ModelRow], DiskUse]) -> None:
        self._rows, disk = found
        self._scanned = True
        self._disk.setText(f"Downloaded models use {size_text(disk.downloaded)} · bundled models "
                           f"{size_text(disk.bundled)} (inside the app) · {size_text(disk.free)} free on this disk")
        self._render()

    def _scan_ended(self) -> None:
        self._scanning = False
        if self._rescan:
            self._rescan = False
            self.refresh()

    def _render(self) -> None:
        """Rebuild the table from the last scan and the running downloads (no disk access)."""
        self._bars.clear()
        for i in range(self._table.rowCount()):
            for col in (COL_STATUS, COL_ACTIONS):
                old = self._table.cellWidget(i, col)
                if old is not None:
                    # Hidden at once: Qt deletes replaced cell widgets later, and until then
                    # they would be drawn at the table's corner.
                    old.hide()
                    self._table.removeCellWidget(i, col)
        self._table.setRowCount(len(self._rows))
        self._elsewhere = {r.key for r in self._rows if r.downloading_elsewhere and r.key not in self._downloads}
        for i, row in enumerate(self._rows):
            self._fill_row(i, row)
        if self._elsewhere:
            self._elsewhere_timer.start()
        else:
            self._elsewhere_timer.stop()
        self._table.resizeRowsToContents()

    def _fill_row(self, i: int, row: ModelRow) -> None:
        entry = row.entry
        name = QTableWidgetItem(row.name)
        name.setToolTip(entry.notes if entry and entry.notes else row.model_id)
        size, size_tip = model_size(row)
        cells = [name, QTableWidgetItem(row.precision), QTableWidgetItem(size),
                 QTableWidgetItem(published_text(row))]
        cells[2].setToolTip(size_tip)
        cells[3].setToolTip(published_tip(row))
        for col, item in enumerate(cells):
            self._table.setItem(i, col, item)
        problems = self._verify_problems.get(row.key)
        if problems and row.status in (Status.INSTALLED, Status.UPDATE):
            row = replace(row, status=Status.BROKEN, problems=problems)
            self._rows[i] = row
        elsewhere = row.key in self._elsewhere
        status = QTableWidgetItem(model_status(row, elsewhere=elsewhere))
        if elsewhere:
            status.setToolTip(ELSEWHERE_TIP)
        elif row.problems:
            status.setToolTip("\n".join(row.problems))
        self._table.setItem(i, COL_STATUS, status)
        if row.key in self._downloads:
            bar = ProgressBar()
            bar.setRange(0, 0)
            bar.setFormat("Starting…")
            bar.setTextVisible(True)
            if row.key in self._last_progress:  # a rebuild mid-download keeps what the bar said
                self._show_progress(bar, self._last_progress[row.key][1])
            self._bars[row.key] = bar
            self._table.setCellWidget(i, COL_STATUS, bar)
        elif row.key in self._failed and elsewhere:
            # Another process has it (say the download lost a race for its lock): the row says
            # so, and the failure goes in the banner, once.
            self._show_failure(self._failed.pop(row.key))
        elif row.key in self._failed:
            self._table.setCellWidget(i, COL_STATUS, self._failure_note(status, self._failed[row.key]))
        self._table.setCellWidget(i, COL_ACTIONS, self._actions_for(row))

    def _failure_note(self, status: QTableWidgetItem, failure: Failure) -> QLabel:
        """The row's status over why its download failed, with a way round it: Import…."""
        # The label draws the status; the item keeps it as data, so it is not drawn twice.
        status.setData(Qt.ItemDataRole.UserRole, status.text())
        colour = "#ff8a80" if is_dark(self.palette()) else "#b71c1c"
        note = QLabel(f"{html.escape(status.text())}<br><span style='color:{colour}'>"
                      f"{html.escape(failure_text(failure.message, failure.resumable))}</span> "
                      "<a href='import'>Import…</a>")
        status.setText("")
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.RichText)
        note.setContentsMargins(4, 2, 4, 2)
        note.setToolTip(failure.detail or failure.message)
        note.setAccessibleName("Download failed")
        note.linkActivated.connect(lambda _link: self._ask_import_zip())
        return note

    def _actions_for(self, row: ModelRow) -> QWidget:
        cell = QWidget()
        box = fill(QHBoxLayout(cell), margins=(4, 1, 4, 1), spacing=4)
        key = row.key
        elsewhere = key in self._elsewhere

        def add(text: str, slot: Any, tip: str = "", *, conflicts: bool = True) -> None:
            """`conflicts`: the action writes this model's files, which the other process owns now."""
            button = QPushButton(text)
            if elsewhere and conflicts:
                button.setEnabled(False)
                tip = ELSEWHERE_TIP
            button.setToolTip(tip)
            button.clicked.connect(slot)
            box.addWidget(button)

        if key in self._downloads:
            add("Cancel", lambda: self.cancel_download(key), "Stop; the part downloaded so far is kept")
        elif row.status is Status.NOT_INSTALLED:
            add("Download", lambda: self.start_download(key), row.entry.url if row.entry else "")
        elif row.status is Status.PARTIAL:
            add("Resume", lambda: self.start_download(key), "Continue where the download stopped")
            add("Discard", lambda: self._discard(key), "Delete the partly downloaded file")
        else:
            if row.usable:
                add("Use this model", lambda: self.use_model.emit(*key), conflicts=False)
            if row.status is Status.UPDATE:
                add("Update", lambda: self.start_download(key), "Install the catalog's release")
            if row.status is Status.BROKEN and row.entry is not None:
                add("Repair", lambda: self.start_download(key), "Download and install it again")
            if row.removable:
                add("Remove", lambda: self.remove(key))
        box.addStretch(1)
        return cell

    # --- actions ------------------------------------------------------------------------------

    def start_download(self, key: Key) -> None:
        """Download (or resume, repair, update) and install a catalog model in its own thread."""
        if self._catalog is None or key in self._downloads:
            return
        entry = self._catalog.find(*key)
        timeouts = self._timeouts

        def job(ctx: TaskContext) -> object:
            # Stages travel as text, byte counts as DownloadProgress, on the task's one progress signal.
            return download_and_install(entry, cancel=ctx.token, on_progress=ctx.report, on_stage=ctx.report,
                                        timeouts=timeouts)

        self._failed.pop(key, None)
        task = (Op(self._downloads_lane, job, name=f"download {entry.model_id} {entry.precision}")
                .progress(lambda p: self._on_stage(key, p) if isinstance(p, str) else self._on_progress(key, p))
                .success(lambda _m: self._download_done(key, f"Installed {entry.name} ({entry.precision}).",
                                                        installed=True))
                .failure(lambda failure: self._download_done(key, failure=failure))
                .cancelled(lambda: self._download_done(key, f"Paused {entry.name} ({entry.precision})."))
                .run())
        self._downloads[key] = task
        self._show_message("")
        self._render()
        self._stall_timer.start()

    def cancel_download(self, key: Key) -> None:
        task = self._downloads.get(key)
        if task is not None:
            task.cancel()

    def _on_progress(self, key: Key, p: DownloadProgress) -> None:
        self._last_progress[key] = (time.monotonic(), p)
        bar = self._bars.get(key)
        if bar is not None:
            self._show_progress(bar, p)

    @staticmethod
    def _show_progress(bar: ProgressBar, p: DownloadProgress) -> None:
        if p.total:
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * p.done / p.total))
        bar.setFormat("Downloading " + download_text(p))

    def _notice_stalls(self) -> None:
        """The engine reports only when bytes arrive; a quiet server would leave a stale speed."""
        now = time.monotonic()
        for key, (when, p) in self._last_progress.items():
            bar = self._bars.get(key)
            if bar is not None and now - when > STALL_NOTICE_S and bar.format().startswith("Downloading"):
                done = f"{p.percent}%" if p.percent is not None else size_text(p.done)
                bar.setFormat(f"Downloading {done} · waiting for the server…")

    def _recheck_elsewhere(self) -> None:
        """Peek at the download locks (on the models lane); rescan only when one was taken or let go."""
        catalog = self._catalog
        if catalog is None or not self.isVisible() or self._peeking:
            return  # a hidden pane catches up in showEvent

        def peek(_ctx: TaskContext) -> dict[Key, PartialDownload | None]:
            return {key: paused_download(catalog.find(*key)) for key in downloads_elsewhere(catalog)}

        self._peeking = True
        Op(self._files_lane, peek, name="peek at download locks").success(self._peeked).run().ended.connect(
            lambda: setattr(self, "_peeking", False))

    def _peeked(self, elsewhere: dict[Key, PartialDownload | None]) -> None:
        now = set(elsewhere) - set(self._downloads)
        if now != self._elsewhere:
            self.refresh()
            return
        for key in now:  # still going: show how far it has come
            item = self._table.item(self.row_index(key), COL_STATUS)
            if item is not None:
                item.setText(elsewhere_text(elsewhere[key]))

    def _on_stage(self, key: Key, text: str) -> None:
        bar = self._bars.get(key)
        if bar is not None and not text.startswith("Downloading"):
            bar.setRange(0, 0)  # unpacking and checking have no byte count
            bar.setFormat(text)

    def _download_done(self, key: Key, text: str = "", *, failure: Failure | None = None,
                       installed: bool = False) -> None:
        self._downloads.pop(key, None)  # its outcome is here: the job has returned
        self._last_progress.pop(key, None)
        if not self._downloads:
            self._stall_timer.stop()
        self._verify_problems.pop(key, None)
        if failure is not None:  # said on its row, where its Retry, Resume and Import… are
            self._failed[key] = failure
            self._show_message("")
        else:
            self._failed.pop(key, None)
            self._show_message(text)
        self.refresh()
        if installed:  # a failed or paused download changed no model: the window's results stand
            self.models_changed.emit()

    def remove(self, key: Key) -> None:
        if not self._confirm(f"Remove {key[0]} ({key[1]}) from this computer?"):
            return
        Op(self._files_lane, lambda _ctx: remove_model(*key), name=f"remove {key[0]} {key[1]}").success(
            lambda _r: self._after_change(key, f"Removed {key[0]} ({key[1]}).")).run()

    def _discard(self, key: Key) -> None:
        if self._catalog is None:
            return
        entry = self._catalog.find(*key)
        # A failure (Busy: another process is downloading it) goes to the banner, as unhandled ones do.
        Op(self._files_lane, lambda _ctx: discard_download(entry), name=f"discard {key[0]} {key[1]}").run().ended.connect(
            self.refresh)

    def import_path(self, path: Path) -> None:
        """Install a zip or bundle folder the user has (the Import… menu ends here)."""
        Op(self._files_lane, lambda ctx: import_model(path, cancel=ctx.token, on_stage=ctx.report),
           name=f"import {Path(path).name}").success(
            lambda m: self._after_change((m.model_id, m.precision), f"Imported {m.model_id} ({m.precision}).")).run()
        self._show_message(f"Importing {Path(path).name}…")

    def verify_all(self) -> None:
        keys = [r.key for r in self._rows if r.path is not None and r.status is not Status.BUNDLED]

        def job(ctx: TaskContext) -> object:
            return [verify_model(*k, cancel=ctx.token) for k in keys]

        Op(self._files_lane, job, name="verify").success(self._verified).run().ended.connect(
            lambda: self._verify_button.setEnabled(True))
        self._verify_button.setEnabled(False)
        self._show_message("Verifying the installed models…")

    def _verified(self, results: list[Any]) -> None:
        self._verify_problems = {(v.model_id, v.precision): v.problems for v in results if not v.ok}
        broken = len(self._verify_problems)
        if broken:
            self._show_failure(Failure(f"{broken} model(s) changed on disk; use Repair to download them again.",
                                       "\n".join(f"{k[0]} ({k[1]}): " + "; ".join(p)
                                                  for k, p in self._verify_problems.items())))
        else:
            self._show_message(f"All {len(results)} installed models are intact.")
        self.refresh()

    def _after_change(self, key: Key, text: str) -> None:
        self._verify_problems.pop(key, None)
        self._failed.pop(key, None)
        self._show_message(text)
        self.refresh()
        self.models_changed.emit()

    def _ask_import_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model zip", "", "Model release zip (*.zip)")
        if path:
            self.import_path(Path(path))

    def _ask_import_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import an unpacked model bundle")
        if path:
            self.import_path(Path(path))

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Models", question)
        return answer == QMessageBox.StandardButton.Yes

    def _show_message(self, text: str) -> None:
        """A note under the table (what was done); it replaces an error shown before."""
        self.errors.dismiss()
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def _show_failure(self, failure: Failure) -> None:
        self._message.hide()
        self.errors.show_failure(failure)

    # --- threads ------------------------------------------------------------------------------

    def busy(self) -> bool:
        """Whether any job (a download, a scan, an import…) has not yet delivered its outcome."""
        return self._downloads_lane.busy() or self._files_lane.busy()

    def shutdown(self) -> None:
        """Cancel every job and stop the lanes (promptly: the engine checks its token often)."""
        self._stall_timer.stop()
        self._elsewhere_timer.stop()
        self._downloads_lane.shutdown()
        self._files_lane.shutdown()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._recheck_elsewhere()

    def event(self, event: QEvent) -> bool:
        # Coming back to this window (say from a terminal running `models download`): look again.
        if event.type() == QEvent.Type.WindowActivate:
            self._recheck_elsewhere()
        if event.type() == QEvent.Type.ApplicationPaletteChange and self._scanned:
            self._render()  # a failure's red is picked for light or dark
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)
