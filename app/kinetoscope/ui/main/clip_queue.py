"""The clips the user brought in, in order, each with where its classification stands."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QStyle, QWidget

# The window's file dialog takes VIDEO_SUFFIXES from here; the CLI's folders use the same list.
from kinetoscope.engine.media.video_files import VIDEO_SUFFIXES, files_in, is_video_name  # noqa: F401

# A dropped folder is walked, but a drop of a whole disk should not freeze the window.
MAX_FILES_PER_FOLDER = 2000

PATH_ROLE = Qt.ItemDataRole.UserRole


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


class ClipState(enum.Enum):
    PENDING = "waiting"
    RUNNING = "classifying…"
    DONE = "done"
    FAILED = "could not classify"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ListedClip:
    """A clip as the list showed it, to put it back where it stood (undoing a removal)."""

    row: int
    clip: Path
    state: ClipState
    summary: str


class ClipQueue(QListWidget):
    """A list of clips; `clip_chosen` fires when the user picks one.

    Several clips can be selected (for removing them); a click with Ctrl or Shift only changes the
    selection, a plain click, Enter or moving with the arrow keys picks the clip. The right-click menu is the actions added
    to the list.
    """

    clip_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Clips")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # A narrow list elides long names (the tooltip has the path); a sideways scroll bar hid the row under it.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._states: dict[Path, ClipState] = {}
        self._press_modifiers = Qt.KeyboardModifier.NoModifier  # of the last mouse press or key press
        self.itemActivated.connect(self._picked)  # Enter, or a double click (a single one on some desktops)
        self.itemClicked.connect(self._picked)

    def add_clips(self, clips: Iterable[Path]) -> list[Path]:
        """Append clips not already queued; returns the ones added."""
        added = []
        for clip in clips:
            if clip in self._states:
                continue
            item = _clip_item(clip)
            self.addItem(item)
            self._states[clip] = ClipState.PENDING
            self._show_state(item, ClipState.PENDING, "")
            added.append(clip)
        return added

    def clips(self) -> list[Path]:
        """The listed clips, in list order (a restored clip is back at its row)."""
        return [self.item(row).data(PATH_ROLE) for row in range(self.count())]

    def state(self, clip: Path) -> ClipState | None:
        return self._states.get(clip)

    def set_state(self, clip: Path, state: ClipState, summary: str = "") -> None:
        """Record how `clip` stands; `summary` (e.g. its top action) is shown under the name."""
        item = self._item(clip)
        if item is None:
            return
        self._states[clip] = state
        self._show_state(item, state, summary)

    def next_pending(self) -> Path | None:
        return next((c for c in self.clips() if self._states[c] is ClipState.PENDING), None)

    def selected_clips(self) -> list[Path]:
        """The selected clips, in list order."""
        return [item.data(PATH_ROLE) for item in sorted(self.selectedItems(), key=self.row)]

    def select_clip(self, clip: Path) -> None:
        """Make `clip` the only selected clip without announcing it (the window already knows).

        Only clicks and Enter announce a clip, so the selection signals may fire: they keep the
        actions on the selection up to date.
        """
        item = self._item(clip)
        if item is not None:
            # Explicitly clear-and-select: `setCurrentItem` follows the keyboard modifiers held at
            # the time, so with Ctrl down (a drop, a Ctrl+click just before) it would add to the
            # selection, and Delete would then take clips the user never meant.
            self.selectionModel().setCurrentIndex(
                self.indexFromItem(item), QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.scrollToItem(item)

    def listed(self, clips: Iterable[Path]) -> list[ListedClip]:
        """How `clips` stand in the list now (row, state, summary), in list order."""
        wanted = set(clips)
        listed = []
        for row in range(self.count()):
            item = self.item(row)
            clip = item.data(PATH_ROLE)
            if clip in wanted:
                summary = item.text().partition("\n")[2]
                state = self._states[clip]
                listed.append(ListedClip(row, clip, state, "" if summary == state.value else summary))
        return listed

    def restore(self, listed: Iterable[ListedClip]) -> list[Path]:
        """Put removed clips back at their rows (as far as the list still reaches); a clip that
        was running or waiting waits again. Returns the clips put back."""
        restored = []
        for entry in sorted(listed, key=lambda e: e.row):
            if entry.clip in self._states:
                continue
            state = ClipState.PENDING if entry.state is ClipState.RUNNING else entry.state
            item = _clip_item(entry.clip)
            self.insertItem(min(entry.row, self.count()), item)
            self._states[entry.clip] = state
            self._show_state(item, state, entry.summary if state is not ClipState.PENDING else "")
            restored.append(entry.clip)
        return restored

    def remove_clips(self, clips: Iterable[Path]) -> Path | None:
        """Take `clips` out of the list. Returns the clip now standing where the first of them stood
        (the last clip, if they were at the end); None if none of them was listed or none is left."""
        gone = set(clips)
        rows = [row for row in range(self.count()) if self.item(row).data(PATH_ROLE) in gone]
        for row in reversed(rows):
            item = self.takeItem(row)
            del self._states[item.data(PATH_ROLE)]
        if not rows or self.count() == 0:
            return None
        return self.item(min(rows[0], self.count() - 1)).data(PATH_ROLE)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        self._press_modifiers = event.modifiers()
        before = self.currentItem()
        super().keyPressEvent(event)
        item = self.currentItem()
        # Arrows, Home, End, Page Up/Down: the clip highlighted is the clip shown, never another.
        # With Ctrl or Shift they build a selection, as clicks do.
        extending = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if item is not None and item is not before and not event.modifiers() & extending:
            self.clip_chosen.emit(item.data(PATH_ROLE))

    def _picked(self, item: QListWidgetItem) -> None:
        # Ctrl and Shift build a selection, by click or by double click; showing each clip on the
        # way would start (and abandon) a run per click.
        extending = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if not self._press_modifiers & extending:
            self.clip_chosen.emit(item.data(PATH_ROLE))

    def _item(self, clip: Path) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(PATH_ROLE) == clip:
                return item
        return None

    def _show_state(self, item: QListWidgetItem, state: ClipState, summary: str) -> None:
        clip: Path = item.data(PATH_ROLE)
        item.setText(f"{clip.name}\n{summary or state.value}")
        icon = {ClipState.DONE: QStyle.StandardPixmap.SP_DialogApplyButton,
                ClipState.FAILED: QStyle.StandardPixmap.SP_MessageBoxWarning,
                ClipState.RUNNING: QStyle.StandardPixmap.SP_MediaPlay,
                ClipState.CANCELLED: QStyle.StandardPixmap.SP_MediaStop}.get(state)
        item.setIcon(self.style().standardIcon(icon) if icon is not None else QIcon())


def _clip_item(clip: Path) -> QListWidgetItem:
    """A row for `clip`: its name, its path kept and in the tooltip (the state is shown after)."""
    item = QListWidgetItem(clip.name)
    item.setData(PATH_ROLE, clip)
    item.setToolTip(str(clip))
    return item
