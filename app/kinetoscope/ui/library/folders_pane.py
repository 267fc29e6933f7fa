"""The Library window's left side: its folders, the model to index with, and the indexing run.

Index scans the files the chosen model has not scanned; choosing another model and pressing Index
again re-indexes the library with it (one action), and results then say which model found what.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from kinetoscope.engine.library.indexer import IndexProgress
from kinetoscope.engine.library.status import LibraryStatus
from kinetoscope.engine.modelfiles.model_store import ModelLocation, model_name
from kinetoscope.ui.widgets.layouts import column, row
from kinetoscope.ui.widgets.progress_bar import ProgressBar


class FoldersPane(QWidget):
    add_requested = Signal()
    remove_requested = Signal(str)
    index_requested = Signal(object)     # ModelLocation
    pause_toggled = Signal(bool)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folders = QListWidget(accessibleName="Library folders")
        self.add_button = QPushButton("&Add Folder…")
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button = QPushButton("Re&move")
        self.remove_button.clicked.connect(self._remove)
        self.remove_button.setEnabled(False)
        self.folders.currentItemChanged.connect(lambda item, _old: self.remove_button.setEnabled(item is not None))
        self.model_combo = QComboBox(accessibleName="Model to index with")
        self.index_button = QPushButton("&Index")
        self.index_button.setToolTip("Scan every file this model has not scanned yet; with another model, "
                                     "this re-indexes the whole library with it")
        self.index_button.clicked.connect(self._index)
        self.pause_button = QPushButton("&Pause", checkable=True)
        self.pause_button.toggled.connect(self._pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop indexing; the files done so far stay indexed, Index goes on later")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.progress = ProgressBar(textVisible=True)
        self.progress.setAccessibleName("Indexing progress")
        self.state = QLabel(wordWrap=True)
        self.summary = QLabel(wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        column(QLabel("<b>Folders</b>"), (self.folders, 1), row(self.add_button, self.remove_button, 1),
               row(QLabel("Model"), (self.model_combo, 1)), row(self.index_button, self.pause_button, self.cancel_button),
               self.progress, self.state, self.summary, parent=self, margins=(0, 0, 0, 0))
        self.set_running(False)

    def set_models(self, models: list[ModelLocation], preferred: str | None = None) -> None:
        self.model_combo.clear()
        for m in models:
            self.model_combo.addItem(f"{model_name(m)} ({m.precision})", m)
            if m.model_id == preferred and self.model_combo.currentData().model_id != preferred:
                self.model_combo.setCurrentIndex(self.model_combo.count() - 1)

    def show_status(self, status: LibraryStatus) -> None:
        current = self.folders.currentItem().data(Qt.ItemDataRole.UserRole) if self.folders.currentItem() else None
        self.folders.clear()
        for f in status.folders:
            item = QListWidgetItem(f"{f.path}\n{f.files} video{'' if f.files == 1 else 's'}"
                                   + ("" if f.exists else " (not found: kept)"))
            item.setData(Qt.ItemDataRole.UserRole, f.path)
            self.folders.addItem(item)
            if f.path == current:
                self.folders.setCurrentItem(item)
        length = f"{status.hours:.1f} h" if status.hours >= 1 else f"{status.hours * 60:.1f} min"
        lines = [f"{status.files} videos, {length} of video; {status.segments} segments"]
        lines += [f"{m.name} ({m.precision}): {m.files} scanned" for m in status.models]
        if status.unreadable:
            lines.append(f"{len(status.unreadable)} cannot be read (point here for why)")
        self.summary.setText("\n".join(lines))
        self.summary.setToolTip("\n".join(f"{p}: {r}" for p, r in status.unreadable))

    def set_running(self, running: bool) -> None:
        self.index_button.setEnabled(not running)
        self.model_combo.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("&Pause")
            self.pause_button.blockSignals(False)
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.progress.hide()
        else:
            self.progress.show()
            self.progress.setRange(0, 0)
            self.state.setText("Opening the model…")

    def show_progress(self, p: IndexProgress) -> None:
        total = max(1, round(p.seconds_total))
        self.progress.setRange(0, total)
        self.progress.setValue(min(total, round(p.seconds_done)))
        self.progress.setFormat(f"{p.files_done} of {p.files_total} files")
        self.state.setText(p.text() + (f"\n{p.current}" if p.current else ""))

    def _remove(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole))

    def _index(self) -> None:
        model = self.model_combo.currentData()
        if model is not None:
            self.index_requested.emit(model)

    def _pause(self, paused: bool) -> None:
        self.pause_button.setText("&Resume" if paused else "&Pause")
        self.pause_toggled.emit(paused)

