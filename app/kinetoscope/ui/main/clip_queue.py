"""The clip list: a thin Qt model over the `ClipStore`, a delegate that draws each record, and the view.

Nothing is stored in the list itself: each row is a `ClipRecord`, read when it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QItemSelectionModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

# The window's file dialog takes VIDEO_SUFFIXES from here; the CLI's folders use the same list.
from kinetoscope.engine.media.video_files import VIDEO_SUFFIXES, files_in, is_video_name  # noqa: F401
from kinetoscope.ui.main.clip_records import ClipRecord, ClipState, ClipStore  # noqa: F401 - ClipState: the list's words

# A dropped folder is walked, but a drop of a whole disk should not freeze the window.
MAX_FILES_PER_FOLDER = 2000

PATH_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Files and folders in, (videos, skipped non-videos) out; folders give their videos, sorted."""
    videos: list[Path] = []
    skipped: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = files_in(path, MAX_FILES_PER_FOLDER)
            videos.extend(p for p in found if is_video_name(p))
            skipped.extend(p for p in found if not is_video_name(p))
        elif is_video_name(path):
            videos.append(path)
        else:
            skipped.append(path)
    unique = list(dict.fromkeys(p.resolve() if p.exists() else p for p in videos))
    return unique, skipped


def row_text(record: ClipRecord) -> str:
    """A row as read (and read aloud): the clip's name over its summary."""
    return f"{record.path.name}\n{record.summary}"


class ClipListModel(QAbstractListModel):
    """The store's records as rows; it holds nothing itself and follows the store's changes."""

    def __init__(self, store: ClipStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        store.listen(self._store_changed)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self.store)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.store):
            return None
        record = self.store.at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return row_text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(record.path)
        if role == PATH_ROLE:
            return record.path
        if role == RECORD_ROLE:
            return record
        return None

    def _store_changed(self, what: str, first: int, last: int) -> None:
        if what == "inserted":
            self.beginInsertRows(QModelIndex(), first, last)
            self.endInsertRows()
        elif what == "removed":
            self.beginRemoveRows(QModelIndex(), first, last)
            self.endRemoveRows()
        else:
            self.dataChanged.emit(self.index(first), self.index(last))


_STATE_ICONS = {ClipState.DONE: QStyle.StandardPixmap.SP_DialogApplyButton,
                ClipState.FAILED: QStyle.StandardPixmap.SP_MessageBoxWarning,
                ClipState.RUNNING: QStyle.StandardPixmap.SP_MediaPlay,
                ClipState.CANCELLED: QStyle.StandardPixmap.SP_MediaStop}


class ClipDelegate(QStyledItemDelegate):
    """Draws a record: its name over its summary, with an icon for its state."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        record: ClipRecord | None = index.data(RECORD_ROLE)
        if record is None:
            return
        option.text = row_text(record).replace("\n", "\u2028")  # a line break, as Qt lays text out
        icon = _STATE_ICONS.get(record.state)
        if icon is not None and option.widget is not None:
            option.icon = option.widget.style().standardIcon(icon)
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration


class ClipQueue(QListView):
    """The clip list; `clip_chosen` fires when the user picks one.

    Several clips can be selected (for removing them); a click with Ctrl or Shift only changes the
    selection, a plain click (either button), Enter or moving with the arrow keys picks the clip, so
    the clip highlighted is the clip on show. The right-click menu is the actions added to the list.
    """

    clip_chosen = Signal(Path)

    def __init__(self, store: ClipStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setModel(ClipListModel(store, self))
        self.setItemDelegate(ClipDelegate(self))
        self.setAccessibleName("Clips")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # A narrow list elides long names (the tooltip has the path); a sideways scroll bar hid the row under it.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._press_modifiers = Qt.KeyboardModifier.NoModifier  # of the last mouse press or key press
        self.activated.connect(self._picked)  # Enter, or a double click (a single one on some desktops)
        self.clicked.connect(self._picked)

    def clips(self) -> list[Path]:
        """The listed clips, in list order (a restored clip is back at its row)."""
        return self.store.paths()

    def count(self) -> int:
        return len(self.store)

    def state(self, clip: Path) -> ClipState | None:
        return self.store.state(clip)

    def selected_clips(self) -> list[Path]:
        """The selected clips, in list order."""
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return [self.store.at(row).path for row in rows]

    def select_clip(self, clip: Path) -> None:
        """Make `clip` the only selected clip without announcing it (the window already knows).

        Only clicks and Enter announce a clip, so the selection signals may fire: they keep the
        actions on the selection up to date.
        """
        row = self.store.row(clip)
        if row >= 0:
            # Explicitly clear-and-select: `setCurrentIndex` on the view follows the keyboard
            # modifiers held at the time, so with Ctrl down (a drop, a Ctrl+click just before) it
            # would add to the selection, and Delete would then take clips the user never meant.
            index = self.model().index(row)
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.scrollTo(index)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.RightButton:  # the menu acts on the clip it was opened on
            index = self.indexAt(event.position().toPoint())
            if index.isValid() and not self._extending():
                self.clip_chosen.emit(index.data(PATH_ROLE))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        before = self.currentIndex()
        super().keyPressEvent(event)
        index = self.currentIndex()
        # Arrows, Home, End, Page Up/Down: the clip highlighted is the clip shown, never another.
        # With Ctrl or Shift they build a selection, as clicks do.
        if index.isValid() and index != before and not self._extending():
            self.clip_chosen.emit(index.data(PATH_ROLE))

    def _extending(self) -> bool:
        return bool(self._press_modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))

    def _picked(self, index: QModelIndex) -> None:
        # Ctrl and Shift build a selection, by click or by double click; showing each clip on the
        # way would start (and abandon) a run per click.
        if not self._extending():
            self.clip_chosen.emit(index.data(PATH_ROLE))
