"""The "Whole clip" page and the window's scan commands: scan the clip on show, watch the windows
arrive, find an action in them, choose the segment rule, export the timeline and the list's results.

It presents what `ScanRunner` reports for the clip on show (a scan of another clip runs on
unseen and is shown when its clip is), and keeps a scan's earlier result when a new one is
cancelled or fails. It gets the clips' records, the clip view, the window's actions, the exporter,
the error banner and the status line, never the window; a segment rule chosen is announced
(`rule_chosen`) for the window to keep, and the segments are redrawn when the runner's rule changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent
from PySide6.QtWidgets import (QComboBox, QCompleter, QDoubleSpinBox, QLabel, QPushButton, QSizePolicy, QSpinBox, QWidget)

from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.engine.inference.scan import ScanResult, SegmentRule
from kinetoscope.ui.main.clip_records import ClipStore
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.main.exporting import Exporter, list_results
from kinetoscope.ui.main.menus import WindowActions
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_runner import ScanPlanned, ScanRunner
from kinetoscope.ui.main.segment_rule_row import SegmentRuleRow, describe_rule
from kinetoscope.ui.main.shown_clip import StatusLine
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.layouts import column, row
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
    """Scan controls, the find-action box, the whole-clip timeline and the scan and export commands;
    see the module's docstring."""

    rule_chosen = Signal(object)  # SegmentRule

    def __init__(self, scans: ScanRunner, clip_view: ClipView, actions: WindowActions, exporter: Exporter,
                 errors: ErrorPanel, status_line: StatusLine, store: ClipStore, clip_runner: ClipRunner,
                 controls: ControlsPane, dialog_parent: QWidget) -> None:
        super().__init__()
        self.scans, self.clip_view, self.actions, self.exporter = scans, clip_view, actions, exporter
        self.errors, self.status_line, self.store = errors, status_line, store
        self.clip_runner, self.controls, self._dialog_parent = clip_runner, controls, dialog_parent
        self.clip: Path | None = None
        self._labels: tuple[str, ...] = ()

        self.scan_button = QPushButton("Scan Whole Clip")
        self.scan_button.clicked.connect(lambda: self.scan_clip())
        self.every_spin = QDoubleSpinBox(minimum=0.0, maximum=MAX_EVERY_S, value=0.0, decimals=1, singleStep=0.5)
        self.every_spin.setSpecialValueText("back to back")
        self.every_spin.setSuffix(" s")
        self.every_spin.setAccessibleName("Window every")
        self.every_spin.setToolTip("Start a window every this many seconds; \"back to back\" starts each "
                                   "where the one before ends")
        every_label = QLabel("&Every")
        every_label.setBuddy(self.every_spin)
        self.cancel_button = QPushButton("Cancel", toolTip="Stop the scan; the earlier scan stays (Esc)")
        self.cancel_button.clicked.connect(lambda: scans.cancel())
        self.cancel_button.hide()
        self.progress = ProgressBar(textVisible=True, format="%v of %m windows")
        self.progress.setMinimumWidth(self.progress.fontMetrics().horizontalAdvance("00000 of 00000 windows") + 30)
        self.progress.setAccessibleName("Scan progress")
        self.progress.hide()
        self.status = _Caption()
        self.export_button = QPushButton("Export Timeline…")
        self.export_button.clicked.connect(lambda: self.export_timeline())

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
        self.rule_row = SegmentRuleRow(scans.rule)
        self.timeline = ScanTimeline()

        # The rows keep a comfortable spacing; only the gaps between rows are tight.
        top = row(self.scan_button, every_label, self.every_spin, self.cancel_button, self.progress, (self.status, 1),
                  self.export_button, spacing=6)
        find = row(find_label, (self.find_combo, 1), self.threshold_spin, (self.match_label, 1), spacing=6)
        column(top, find, self.rule_row, (self.timeline, 1), 0, parent=self, margins=(0, 2, 0, 0), spacing=2)

        self.find_combo.currentTextChanged.connect(self._find)
        self.find_combo.lineEdit().returnPressed.connect(self._complete_typed)
        self.threshold_spin.valueChanged.connect(self._find)
        self.timeline.matches_changed.connect(lambda _: self._say_matches())
        for signal, slot in ((scans.started, self._on_started), (scans.stage, self._on_stage),
                             (scans.planned, self._on_planned), (scans.windows_arrived, self._on_windows),
                             (scans.finished, self._on_finished), (scans.failed, self._on_failed),
                             (scans.cancelled, self._on_cancelled), (scans.rule_changed, self._on_rule_changed),
                             (self.rule_row.rule_changed, self._rule_chosen),
                             (self.timeline.time_clicked, clip_view.preview.seek),
                             (clip_view.preview.position_changed, self.timeline.set_position),
                             (clip_view.scan_hint_clicked, self.scan_clip),
                             (actions.scan.enabledChanged, self.scan_button.setEnabled)):  # the action decides
            signal.connect(slot)
        self.scan_button.setEnabled(actions.scan.isEnabled())
        exporter.saved.connect(lambda path, what: status_line.setText(f"Saved {what} to {path}."))
        exporter.failed.connect(
            lambda failure, path, what: errors.show_message(
                f"Could not save {what} to {path.name}. {failure.message}", failure.detail, hint=failure.hint))
        self.show_clip(None)

    # -- what the window calls -------------------------------------------------------------
    def show_clip(self, clip: Path | None) -> None:
        """Show `clip`'s scan: the running one so far, its last one, or an invitation to scan."""
        self.clip = clip
        running = self.scans.running
        if clip is not None and running is not None and running.clip == clip:
            self._show_running()
        else:
            self._show_earlier()

    def result(self) -> ScanResult | None:
        """The finished scan of the clip on show."""
        return self.scans.result_for(self.clip) if self.clip is not None else None

    def scan_clip(self) -> None:
        """Scan the clip on show, window by window, with the chosen model and device."""
        clip, options = self.store.current, self.controls.options()
        if clip is None or options is None:
            return
        self.clip_view.show_page(self)
        self.scans.scan(clip, options, self.every_spin.value())

    def export_timeline(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the clip's whole-clip scan, its segments by the rule on screen (CSV, JSON or SRT);
        without `path`, ask where (`suffix`: the format, by default the path's)."""
        result = self.result()
        running = self.scans.running
        if result is None or (running is not None and running.clip == result.clip):
            return  # while a new scan of the clip is on screen, its earlier one is not what is seen
        self.exporter.export_timeline(result, path, suffix, parent=self._dialog_parent)

    def export_results(self, path: Path | None = None, suffix: str | None = None, *,
                       folder: Path | None = None) -> None:
        """Save the top-5 of every classified clip in the list, failures as rows (CSV or JSON);
        without `path`, ask where (starting in `folder`)."""
        rows = list_results(self.store, self.controls.options())
        if not rows:
            self.errors.show_message("No clip in the list has been classified yet, so there are no results to "
                                     "export.", severity="warning")
            return
        self.exporter.export_results(rows, path, suffix, parent=self._dialog_parent, folder=folder)

    def offer_scan(self, result: ClipResult) -> None:
        """A clip much longer than its views cover, and not scanned yet, gets a hint to scan it whole."""
        keys = self.actions.scan.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        scanned = self.scans.result_for(result.clip) is not None
        self.clip_view.set_scan_hint("" if scanned else long_clip_hint(result, keys))

    def update_actions(self) -> None:
        """Scan, Export Timeline and Cancel as the scans and the clip on show allow (a scan of the
        clip on show is not started again while it runs)."""
        running = self.scans.running
        scanning = running is not None
        self.actions.scan.setEnabled(self.store.current is not None
                                     and not (scanning and running.clip == self.store.current))
        self.actions.export_timeline.setEnabled(not scanning and self.result() is not None)
        self.actions.cancel.setEnabled(scanning or self.clip_runner.running is not None)

    # -- presenting ------------------------------------------------------------------------
    def _set_scanning(self, scanning: bool) -> None:
        self.cancel_button.setVisible(scanning)
        self.progress.setVisible(scanning)
        self.export_button.setEnabled(not scanning and self.result() is not None)

    def _show_running(self) -> None:
        running = self.scans.running
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

    def _rule_chosen(self, rule: SegmentRule) -> None:
        """The segment rule's boxes changed: redraw the segments by it, use it from now on, keep it."""
        self.scans.set_rule(rule)
        result = self.result()
        count = f": {len(result.segments)} segment{'s' if len(result.segments) != 1 else ''}" if result else ""
        self.status_line.setText(f"Segments by {describe_rule(rule)}{count}.")
        self.rule_chosen.emit(rule)

    def _on_rule_changed(self, rule: SegmentRule) -> None:
        """Redraw the segments of the scan on show by the new rule (a running scan gets it when it ends)."""
        self.rule_row.set_rule(rule)
        running = self.scans.running
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
        if clip == self.clip:
            self._show_running()
        self.update_actions()
        self.clip_view.set_scan_hint("")
        self.status_line.setText(self.status_line.about(clip, "Scanning the whole clip…"))

    def _on_stage(self, clip: Path, text: str) -> None:
        if clip == self.clip:
            self.status.setText(text)
        self.status_line.setText(self.status_line.about(clip, text))

    def _on_planned(self, clip: Path, planned: ScanPlanned) -> None:
        if not clip == self.clip:
            return
        self._set_labels(planned.labels)
        self.timeline.set_clip(planned.duration_s, planned.labels)
        self.timeline.set_placeholder("Scanning…")
        self.progress.setRange(0, max(1, planned.windows_total))
        self.progress.setValue(0)
        self.status.setText(f"Scanning {clock(planned.duration_s)} on {planned.device.label}…")
        self._find()

    def _on_windows(self, clip: Path, windows: tuple, done: int, total: int) -> None:
        if not clip == self.clip:
            return
        self.timeline.add_windows(windows)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_finished(self, clip: Path, result: ScanResult) -> None:
        if clip == self.clip:
            self._show_result(result)
        self.update_actions()
        n = len(result.segments)
        self.status_line.setText(self.status_line.about(
            clip, f"Scanned: {len(result.windows)} windows, {n} segment{'s' if n != 1 else ''} in "
                  f"{result.timings.total_ms / 1000:.1f} s"))

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        if clip == self.clip:
            self._show_earlier(f"The scan failed: {failure.message}")
            self.status.setText(f"The scan failed: {failure.message}")  # also beside an earlier scan
        self.update_actions()
        self.errors.show_message(f"Could not scan {clip.name}. {failure.message}", failure.detail, hint=failure.hint)
        self.status_line.setText(f"{clip.name}: {failure.message}")

    def _on_cancelled(self, clip: Path) -> None:
        if clip == self.clip and not (self.scans.running and self.scans.running.clip == clip):
            self._show_earlier()
            earlier = self.result()
            if earlier is not None and earlier.partial:
                self.status.setText(f"Scan cancelled. {describe_scan(earlier)}")
            else:
                self.status.setText("Scan cancelled." + (f" Showing the earlier scan: {describe_scan(earlier)}"
                                                         if earlier is not None else ""))
        self.update_actions()
        self.status_line.setText(f"Cancelled the scan of {clip.name}.")
