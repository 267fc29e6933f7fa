"""The "Whole clip" page: scan the clip on show, watch the windows arrive, find an action in them.

It presents what `ScanRunner` reports for the clip on show (a scan of another clip runs on
unseen and is shown when its clip is), and keeps a scan's earlier result when a new one is
cancelled or fails. Starting, cancelling and exporting are the window's commands: the buttons
here only ask for them. The segment rule's boxes ask too (`rule_row.rule_changed`); the page
redraws the segments when the runner's rule changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QComboBox, QCompleter, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.engine.inference.scan import ScanResult
from kinetoscope.ui.main.scan_runner import ScanPlanned, ScanRunner
from kinetoscope.ui.main.segment_rule_row import SegmentRuleRow
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.progress_bar import ProgressBar
from kinetoscope.ui.widgets.scan_timeline import ScanTimeline, clock

MAX_EVERY_S = 600.0
DEFAULT_THRESHOLD_PERCENT = 20


def describe_scan(result: ScanResult) -> str:
    """One line about a finished (or partial) scan: what, how, how long."""
    m = result.model
    n = len(result.segments)
    if result.partial:
        return (f"Partial scan, cancelled at {clock(result.windows[-1].end_s)} of {clock(result.clip_duration_s)}: "
                f"{len(result.windows)} windows · {n} segment{'s' if n != 1 else ''} · {m.name} ({m.precision}) on "
                f"{result.device.label}")
    return (f"{len(result.windows)} windows, one every {result.every_s:g} s · {n} segment{'s' if n != 1 else ''} · "
            f"{m.name} ({m.precision}) on {result.device.label} · {result.timings.total_ms / 1000:.1f} s")


# A stretch longer than this that no view saw could hold an action of its own; shorter gaps
# between views (a 10-second clip's three views) leave nothing to find.
UNSEEN_GAP_S = 5.0


def long_clip_hint(result: ClipResult, keys: str) -> str:
    """The offer to scan a clip its views cover less than half of, leaving a stretch of more than
    UNSEEN_GAP_S unseen ("" for a clip they cover well); `keys` is the scan's shortcut as the
    platform writes it."""
    covered, reach, widest_gap = 0.0, 0.0, 0.0
    for start, end in sorted((v.start_s, v.end_s) for v in result.views):  # the union of their spans
        widest_gap = max(widest_gap, start - reach)
        covered += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    widest_gap = max(widest_gap, result.clip_duration_s - reach)
    if result.clip_duration_s <= 2 * covered or widest_gap <= UNSEEN_GAP_S:
        return ""
    views = "its one view covers" if len(result.views) == 1 else f"its {len(result.views)} views cover"
    return (f"This clip is {clock(result.clip_duration_s)} long; {views} "
            f"{covered:.0f} s of it. Scan the whole clip ({keys}) to see what happens when.")


class _Caption(QLabel):
    """A muted one-line caption that shortens with "…" to the room it has; the whole text is its tooltip."""

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self.setEnabled(False)  # the palette's muted text: a caption, not a control
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class ScanPane(QWidget):
    """Scan controls, the find-action box and the whole-clip timeline."""

    scan_requested = Signal()
    cancel_requested = Signal()
    export_requested = Signal()

    def __init__(self, runner: ScanRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.clip: Path | None = None
        self._labels: tuple[str, ...] = ()

        self.scan_button = QPushButton("Scan Whole Clip")
        self.scan_button.clicked.connect(self.scan_requested)
        self.every_spin = QDoubleSpinBox(minimum=0.0, maximum=MAX_EVERY_S, value=0.0, decimals=1, singleStep=0.5)
        self.every_spin.setSpecialValueText("back to back")
        self.every_spin.setSuffix(" s")
        self.every_spin.setAccessibleName("Window every")
        self.every_spin.setToolTip("Start a window every this many seconds; \"back to back\" starts each "
                                   "where the one before ends")
        every_label = QLabel("&Every")
        every_label.setBuddy(self.every_spin)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the scan; the earlier scan stays (Esc)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        self.progress = ProgressBar(textVisible=True, format="%v of %m windows")
        self.progress.setMinimumWidth(self.progress.fontMetrics().horizontalAdvance("00000 of 00000 windows") + 30)
        self.progress.setAccessibleName("Scan progress")
        self.progress.hide()
        self.status = _Caption()
        self.export_button = QPushButton("Export Timeline…")
        self.export_button.clicked.connect(self.export_requested)

        self.find_combo = QComboBox()
        self.find_combo.setEditable(True)
        self.find_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.find_combo.setAccessibleName("Find action")
        self.find_combo.lineEdit().setPlaceholderText("type or pick one of the model's actions")
        self.find_combo.lineEdit().setClearButtonEnabled(True)
        self.find_combo.setMinimumContentsLength(22)
        completer = QCompleter(self.find_combo.model(), self.find_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.find_combo.setCompleter(completer)
        find_label = QLabel("&Find action")
        find_label.setBuddy(self.find_combo)
        self.threshold_spin = QSpinBox(minimum=1, maximum=100, value=DEFAULT_THRESHOLD_PERCENT, suffix=" %")
        self.threshold_spin.setPrefix("≥ ")
        self.threshold_spin.setAccessibleName("Find threshold")
        self.threshold_spin.setToolTip("Highlight windows where the action is among the top 5 "
                                       "with at least this probability")
        self.match_label = QLabel()
        self.rule_row = SegmentRuleRow(runner.rule)
        self.timeline = ScanTimeline()

        top = QHBoxLayout()
        top.setSpacing(6)  # the rows keep a comfortable spacing; only the gaps between rows are tight
        top.addWidget(self.scan_button)
        top.addWidget(every_label)
        top.addWidget(self.every_spin)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress)
        top.addWidget(self.status, 1)
        top.addWidget(self.export_button)
        find = QHBoxLayout()
        find.setSpacing(6)
        find.addWidget(find_label)
        find.addWidget(self.find_combo, 1)
        find.addWidget(self.threshold_spin)
        find.addWidget(self.match_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(find)
        layout.addWidget(self.rule_row)
        layout.addWidget(self.timeline, 1)
        layout.addStretch(0)

        self.find_combo.currentTextChanged.connect(self._find)
        self.find_combo.lineEdit().returnPressed.connect(self._complete_typed)
        self.threshold_spin.valueChanged.connect(self._find)
        self.timeline.matches_changed.connect(lambda _: self._say_matches())
        r = runner
        r.started.connect(self._on_started)
        r.stage.connect(lambda clip, text: self._is_shown(clip) and self.status.setText(text))
        r.planned.connect(self._on_planned)
        r.windows_arrived.connect(self._on_windows)
        r.finished.connect(lambda clip, result: self._is_shown(clip) and self._show_result(result))
        r.failed.connect(self._on_failed)
        r.cancelled.connect(self._on_cancelled)
        r.rule_changed.connect(self._on_rule_changed)
        self.show_clip(None)

    # -- what the window calls -------------------------------------------------------------
    def every_s(self) -> float:
        return self.every_spin.value()

    def show_clip(self, clip: Path | None) -> None:
        """Show `clip`'s scan: the running one so far, its last one, or an invitation to scan."""
        self.clip = clip
        running = self.runner.running
        if clip is not None and running is not None and running.clip == clip:
            self._show_running()
        else:
            self._show_earlier()

    def result(self) -> ScanResult | None:
        """The finished scan of the clip on show."""
        return self.runner.result_for(self.clip) if self.clip is not None else None

    # -- presenting ------------------------------------------------------------------------
    def _is_shown(self, clip: Path) -> bool:
        return clip == self.clip

    def _set_scanning(self, scanning: bool) -> None:
        self.cancel_button.setVisible(scanning)
        self.progress.setVisible(scanning)
        self.export_button.setEnabled(not scanning and self.result() is not None)

    def _show_running(self) -> None:
        running = self.runner.running
        assert running is not None
        self._set_scanning(True)
        self.rule_row.set_count(None)
        if running.planned is None:
            self.timeline.clear("Starting the scan…")
            self.progress.setRange(0, 0)
            self.status.setText("Starting…")
            return
        self._on_planned(running.clip, running.planned)
        self.timeline.add_windows(running.windows)
        self.timeline.flush()
        self.progress.setValue(running.done)

    def _show_earlier(self, why: str = "") -> None:
        """The clip's last finished scan, or the empty strip that says `why` there is none (by
        default, an invitation to scan)."""
        self._set_scanning(False)
        result = self.result()
        if result is not None:
            self._show_result(result)
            return
        self.timeline.clear(why or ("Not scanned yet. Scan Whole Clip (Ctrl+Shift+S) shows every moment of it."
                                    if self.clip is not None else "No clip"))
        self.status.setText(why)
        self.rule_row.set_count(None)
        self._set_labels(())

    def _show_result(self, result: ScanResult) -> None:
        self._set_scanning(False)
        self._set_labels(result.labels)
        self.timeline.set_windows(result.windows, result.segments, result.clip_duration_s, result.labels,
                                  note="Partial: the scan was cancelled here" if result.partial else "")
        self.status.setText(describe_scan(result))
        self.rule_row.set_count(len(result.segments))
        self.export_button.setEnabled(True)
        self._find()

    def _on_rule_changed(self, rule) -> None:  # noqa: ANN001 - SegmentRule
        """Redraw the segments of the scan on show by the new rule (a running scan gets it when it ends)."""
        self.rule_row.set_rule(rule)
        running = self.runner.running
        result = self.result()
        if result is None or (running is not None and running.clip == self.clip):
            return
        self.timeline.set_segments(result.segments)
        self.status.setText(describe_scan(result))
        self.rule_row.set_count(len(result.segments))

    def _set_labels(self, labels: Sequence[str]) -> None:
        labels = tuple(labels)
        if labels == self._labels:
            return
        self._labels = labels
        text = self.find_combo.currentText()
        self.find_combo.blockSignals(True)
        self.find_combo.clear()
        self.find_combo.addItems(sorted(labels, key=str.casefold))
        self.find_combo.setCurrentIndex(-1)
        self.find_combo.setEditText(text)  # a query typed before stays
        self.find_combo.blockSignals(False)
        self.find_combo.setEnabled(bool(labels))
        self.threshold_spin.setEnabled(bool(labels))

    def _find(self) -> None:
        label = self.find_combo.currentText().strip()
        if label and label not in self._labels:
            # Typed case-insensitively: take the model's spelling.
            label = next((lab for lab in self._labels if lab.casefold() == label.casefold()), label)
        self.timeline.find(label if label in self._labels else None, self.threshold_spin.value() / 100)
        self._say_matches()

    def _partial_matches(self, text: str) -> list[str]:
        """The model's actions a typed fragment names: those starting with it, else those containing it."""
        key = text.casefold()
        starting = [lab for lab in self._labels if lab.casefold().startswith(key)]
        return starting or [lab for lab in self._labels if key in lab.casefold()]

    def _complete_typed(self) -> None:
        """Enter on a fragment that names one action ("wrapping pr") finds that action."""
        text = self.find_combo.currentText().strip()
        if not text or text.casefold() in {lab.casefold() for lab in self._labels}:
            return
        matches = self._partial_matches(text)
        if len(matches) == 1:
            self.find_combo.setEditText(matches[0])

    def _say_matches(self) -> None:
        label = self.find_combo.currentText().strip()
        total = len(self.timeline.track)
        if not label:
            self.match_label.setText("")
        elif label.casefold() not in {lab.casefold() for lab in self._labels}:
            partial = self._partial_matches(label) if self._labels else []
            if len(partial) == 1:
                self.match_label.setText(f"Enter: find “{partial[0]}”")
            elif partial:
                self.match_label.setText(f"{len(partial)} actions match: pick one")
            else:
                self.match_label.setText("not one of the model's actions" if self._labels else "")
        else:
            n = self.timeline.match_count()
            self.match_label.setText(f"{n} of {total} windows" + (f" ({100 * n / total:.0f}%)" if total else ""))

    # -- runner reports --------------------------------------------------------------------
    def _on_started(self, clip: Path) -> None:
        if self._is_shown(clip):
            self._show_running()

    def _on_planned(self, clip: Path, planned: ScanPlanned) -> None:
        if not self._is_shown(clip):
            return
        self._set_labels(planned.labels)
        self.timeline.set_clip(planned.duration_s, planned.labels)
        self.timeline.set_placeholder("Scanning…")
        self.progress.setRange(0, max(1, planned.windows_total))
        self.progress.setValue(0)
        self.status.setText(f"Scanning {clock(planned.duration_s)} on {planned.device.label}…")
        self._find()

    def _on_windows(self, clip: Path, windows: tuple, done: int, total: int) -> None:
        if not self._is_shown(clip):
            return
        self.timeline.add_windows(windows)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        if self._is_shown(clip):
            self._show_earlier(f"The scan failed: {failure.message}")
            self.status.setText(f"The scan failed: {failure.message}")  # also beside an earlier scan

    def _on_cancelled(self, clip: Path) -> None:
        if self._is_shown(clip) and not (self.runner.running and self.runner.running.clip == clip):
            self._show_earlier()
            earlier = self.result()
            if earlier is not None and earlier.partial:
                self.status.setText(f"Scan cancelled. {describe_scan(earlier)}")
            else:
                self.status.setText("Scan cancelled." + (f" Showing the earlier scan: {describe_scan(earlier)}"
                                                         if earlier is not None else ""))
