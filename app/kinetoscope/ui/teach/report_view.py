"""A training report: per-action accuracy, the confusion table and the warnings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from kinetoscope.engine.teach.probe import NONE_LABEL, ProbeReport


class ReportView(QWidget):
    """Shows a `ProbeReport`, or a hint when there is none yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Not trained yet. Add at least two actions, then Train.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.per_action = QTableWidget(0, 2)
        self.per_action.setHorizontalHeaderLabels(["Examples", "Held-out accuracy"])
        self.per_action.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.per_action.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.per_action.setAccessibleName("Accuracy per action")
        self.confusions = QTableWidget(0, 0)
        self.confusions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusions.setAccessibleName("Confusions: rows are the actions, columns what they were taken for")
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("warning")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Per action (each example left out in turn):"))
        layout.addWidget(self.per_action, 2)
        layout.addWidget(QLabel("Confusions (row: the example's action; column: what it was taken for):"))
        layout.addWidget(self.confusions, 3)
        layout.addWidget(self.warnings)

    def show_report(self, report: ProbeReport | None, note: str = "") -> None:
        if report is None:
            self.summary.setText(note or "Not trained yet. Add at least two actions, then Train.")
            self.per_action.setRowCount(0)
            self.confusions.setRowCount(0)
            self.confusions.setColumnCount(0)
            self.warnings.setText("")
            return
        self.summary.setText(
            f"Leave-one-clip-out accuracy {report.accuracy:.0%} ({report.accepted_accuracy:.0%} counting "
            f"\u201c{NONE_LABEL}\u201d as wrong) · {report.method} · trained in "
            f"{report.train_seconds * 1000:.0f} ms" + (f" · {note}" if note else ""))
        labels = list(report.labels)
        self.per_action.setRowCount(len(labels))
        self.per_action.setVerticalHeaderLabels(labels)
        for row, (n, acc) in enumerate(zip(report.examples_per_action, report.per_action)):
            self.per_action.setItem(row, 0, _cell(str(n)))
            self.per_action.setItem(row, 1, _cell(f"{acc:.0%}"))
        columns = [*labels, "none"]
        self.confusions.setRowCount(len(labels))
        self.confusions.setColumnCount(len(columns))
        self.confusions.setVerticalHeaderLabels(labels)
        self.confusions.setHorizontalHeaderLabels(columns)
        for r, counts in enumerate(report.confusions):
            for c, count in enumerate(counts):
                item = _cell(str(count) if count else "·")
                if count and c != r:
                    item.setForeground(Qt.GlobalColor.red)
                self.confusions.setItem(r, c, item)
        self.confusions.resizeColumnsToContents()
        self.warnings.setText("\n".join(f"⚠ {w}" for w in report.warnings))


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return item
