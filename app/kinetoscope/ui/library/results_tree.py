"""The search results: a row per file, under it a row per segment with a thumbnail of the moment.

Files come ranked by their best segment, segments in time order, as the engine's search returns
them; each segment row says when, which action, how sure, and which model found it. Enter or a
double-click on a row asks to open its moment (`moment_chosen`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from kinetoscope.engine.library.search import FileHits, Hit
from kinetoscope.ui.library.thumbnails import THUMB_H, THUMB_W, Key, Thumbnails, thumb_key

_HIT = Qt.ItemDataRole.UserRole


def clock(seconds: float) -> str:
    tenths = round(seconds * 10)
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    return f"{h}:{m:02d}:{rest / 10:04.1f}" if h else f"{m}:{rest / 10:04.1f}"


def thumb_time(hit: Hit) -> float:
    """The moment a segment's thumbnail shows: a second in, or its middle if shorter."""
    return hit.start_s + min(1.0, (hit.end_s - hit.start_s) / 2)


class ResultsTree(QTreeWidget):
    moment_chosen = Signal(Path, float, str)     # file, where to start (s), model id

    def __init__(self, thumbnails: Thumbnails, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.setColumnCount(4)
        self.setHeaderLabels(["Moment", "Action", "Confidence", "Found by"])
        self.setIconSize(QSize(THUMB_W, THUMB_H))
        self.setUniformRowHeights(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Search results")
        self.setRootIsDecorated(True)
        self.header().setStretchLastSection(True)
        self.setColumnWidth(0, THUMB_W + 200)
        self.setColumnWidth(1, 200)
        self.setColumnWidth(2, 90)
        self._waiting: dict[Key, list[QTreeWidgetItem]] = {}
        self.files: list[FileHits] = []
        thumbnails.ready.connect(self._thumbnail_ready)
        self.itemActivated.connect(self._activated)

    def set_results(self, files: list[FileHits]) -> None:
        self.clear()
        self._waiting.clear()
        self.files = files
        for f in files:
            top = QTreeWidgetItem([f"{f.path.name}  ({clock(f.duration_s)})", "",
                                   f"best {f.best * 100:.0f} %", ""])
            top.setToolTip(0, str(f.path))
            top.setData(0, _HIT, (f.path, f.hits[0]))
            for hit in f.hits:
                row = QTreeWidgetItem([f"{clock(hit.start_s)} – {clock(hit.end_s)}", hit.label,
                                       f"{hit.prob * 100:.1f} %", hit.model_name])
                row.setData(0, _HIT, (f.path, hit))
                row.setToolTip(0, f"{f.path}\nEnter or double-click opens it here")
                row.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                row.setSizeHint(0, QSize(THUMB_W + 120, THUMB_H + 6))
                top.addChild(row)
            self.addTopLevelItem(top)
            top.setExpanded(True)
        # Thumbnails for the rows in order: the top of the list is decoded first.
        for item in self._rows():
            path, hit = item.data(0, _HIT)
            pixmap = self.thumbnails.request(path, thumb_time(hit))
            if pixmap is not None:
                item.setIcon(0, QIcon(pixmap))
            else:
                self._waiting.setdefault(thumb_key(path, thumb_time(hit)), []).append(item)
        if files:
            self.setCurrentItem(self.topLevelItem(0).child(0))

    def chosen(self) -> tuple[Path, Hit] | None:
        item = self.currentItem()
        return item.data(0, _HIT) if item is not None else None

    def _rows(self) -> list[QTreeWidgetItem]:
        return [self.topLevelItem(i).child(j) for i in range(self.topLevelItemCount())
                for j in range(self.topLevelItem(i).childCount())]

    def _thumbnail_ready(self, key: Key) -> None:
        for item in self._waiting.pop(key, []):
            pixmap = self.thumbnails.cached(Path(key[0]), key[1])
            if pixmap is not None:
                item.setIcon(0, QIcon(pixmap))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        path, hit = item.data(0, _HIT)
        self.moment_chosen.emit(path, hit.start_s, hit.model_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # Enter opens the moment on every platform (itemActivated alone does not on all of them).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self._activated(self.currentItem(), 0)
            return
        super().keyPressEvent(event)
