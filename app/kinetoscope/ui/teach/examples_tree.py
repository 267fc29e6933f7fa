"""The set's actions and their examples as a tree; clips dropped on it become examples."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from kinetoscope.engine.teach.action_set import ActionSet

ACTION_ROLE = Qt.ItemDataRole.UserRole
EXAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1


class ExamplesTree(QTreeWidget):
    """Draws an `ActionSet`; emits `clips_dropped(paths, action or "")`."""

    clips_dropped = Signal(list, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Action / example", "Part"])
        self.setColumnWidth(0, 330)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Actions and examples")

    def show_set(self, action_set: ActionSet | None) -> None:
        selected = self.selected()
        self.clear()
        if action_set is None:
            return
        for action in action_set.actions:
            n = len(action.examples)
            top = QTreeWidgetItem([f"{action.name}", f"{n} example{'s' if n != 1 else ''}"])
            top.setData(0, ACTION_ROLE, action.name)
            if n < 3:
                top.setToolTip(1, "3 or more examples make an action reliable")
                top.setText(1, top.text(1) + "  (add more)")
            for i, example in enumerate(action.examples, 1):
                child = QTreeWidgetItem([example.clip.name, example.span_text()])
                child.setToolTip(0, str(example.clip))
                child.setData(0, ACTION_ROLE, action.name)
                child.setData(0, EXAMPLE_ROLE, i)
                top.addChild(child)
            self.addTopLevelItem(top)
            top.setExpanded(True)
            if selected and selected[0] == action.name and selected[1] is None:
                self.setCurrentItem(top)

    def selected(self) -> tuple[str, int | None] | None:
        """(action, example number or None) of the selected row."""
        item = self.currentItem()
        if item is None:
            return None
        return item.data(0, ACTION_ROLE), item.data(0, EXAMPLE_ROLE)

    # -- drops ------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: ANN001  (QDragMoveEvent)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        item = self.itemAt(event.position().toPoint())
        action = item.data(0, ACTION_ROLE) if item is not None else ""
        event.acceptProposedAction()
        self.clips_dropped.emit(paths, action or "")
