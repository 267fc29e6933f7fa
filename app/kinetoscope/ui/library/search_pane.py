"""The Library window's search: an action (completed from the indexed models' labels, as the scan's
Find box completes), a minimum confidence and length, and the results with their thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QCompleter, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox, QWidget

from kinetoscope.engine.library.search import FileHits, SearchQuery
from kinetoscope.ui.library.results_tree import ResultsTree
from kinetoscope.ui.library.thumbnails import Thumbnails
from kinetoscope.ui.widgets.layouts import buddy, column, row

SEARCH_SETTLE_MS = 150   # typing settles this long before a search runs


class SearchPane(QWidget):
    query_changed = Signal(object)     # SearchQuery

    def __init__(self, thumbnails: Thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action_edit = QLineEdit()
        self.action_edit.setPlaceholderText("an action: arm wrestling, juggling, a taught action…")
        self.action_edit.setAccessibleName("Search for an action")
        self.action_edit.setClearButtonEnabled(True)
        self.labels = QStringListModel(self)
        completer = QCompleter(self.labels, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.action_edit.setCompleter(completer)
        self.min_spin = QSpinBox(minimum=0, maximum=100, value=30, suffix=" %", prefix="≥ ")
        self.min_spin.setAccessibleName("Minimum confidence")
        self.length_spin = QDoubleSpinBox(minimum=0.0, maximum=3600.0, value=0.0, decimals=1, suffix=" s")
        self.length_spin.setSpecialValueText("any length")
        self.length_spin.setAccessibleName("Minimum length")
        self.said = QLabel()
        self.results = ResultsTree(thumbnails)
        self._settle = QTimer(self, singleShot=True, interval=SEARCH_SETTLE_MS)
        self._settle.timeout.connect(self._emit_query)

        query = row(buddy("&Find", self.action_edit), (self.action_edit, 1), QLabel("Confidence"), self.min_spin,
                    QLabel("Length"), self.length_spin)
        column(query, self.said, (self.results, 1), parent=self, margins=(0, 0, 0, 0))

        self.action_edit.textChanged.connect(lambda _: self._settle.start())
        self.action_edit.returnPressed.connect(self._emit_query)
        completer.activated.connect(lambda _: self._emit_query())
        self.min_spin.valueChanged.connect(lambda _: self._settle.start())
        self.length_spin.valueChanged.connect(lambda _: self._settle.start())

    def set_labels(self, labels: list[str]) -> None:
        self.labels.setStringList(labels)

    def query(self) -> SearchQuery | None:
        text = self.action_edit.text().strip()
        if not text:
            return None
        return SearchQuery(text, min_prob=self.min_spin.value() / 100, min_length_s=self.length_spin.value())

    def show_results(self, query: SearchQuery, files: list[FileHits], ms: float) -> None:
        moments = sum(len(f.hits) for f in files)
        if files:
            self.said.setText(f"{moments} moment{'' if moments == 1 else 's'} in {len(files)} "
                              f"file{'' if len(files) == 1 else 's'} ({ms:.0f} ms)")
        else:
            self.said.setText(f"Nothing found for “{query.action}” at {query.min_prob * 100:.0f} % or above.")
        self.results.set_results(files)

    def _emit_query(self) -> None:
        self._settle.stop()
        query = self.query()
        if query is None:
            self.said.setText("")
            self.results.set_results([])
            return
        self.query_changed.emit(query)
