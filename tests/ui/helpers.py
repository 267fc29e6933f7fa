"""Driving the window as a person would: dropping files, picking from combo boxes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget


def drop_files(target: QWidget, files: Sequence[Path]) -> bool:
    """Send a real drag-enter and drop of `files` (as file URLs) onto `target`; True if taken."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    centre = target.rect().center()
    enter = QDragEnterEvent(QPoint(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def pick(combo: QComboBox, data: object) -> None:
    """Choose the item holding `data` the way a click does (index change, then `activated`)."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered by {combo.accessibleName()}"
    assert combo.model().flags(combo.model().index(index, 0)) & Qt.ItemFlag.ItemIsEnabled, \
        f"{data!r} is disabled in {combo.accessibleName()}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
