"""The window's whole-clip scan commands: start one, follow it in the status bar, choose its segment
rule, export the timeline and the clip list's results.

`ScanRunner` runs the scans and `ScanPane` shows them; this connects them to the window's actions,
the clip view, the error banner and the exporter. The clip on show and the results come from the
clips' records; a segment rule chosen is announced (`rule_chosen`) for the window to keep.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.engine.inference.scan import ScanResult, SegmentRule
from kinetoscope.ui.main.clip_records import ClipStore
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.main.exporting import Exporter, list_results
from kinetoscope.ui.main.menus import WindowActions
from kinetoscope.ui.main.scan_pane import ScanPane, long_clip_hint
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.segment_rule_row import describe_rule
from kinetoscope.ui.main.shown_clip import StatusLine
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel


class ScanControl(QObject):
    """Scan and export commands; see the module's docstring."""

    rule_chosen = Signal(object)  # SegmentRule

    def __init__(self, scans: ScanRunner, pane: ScanPane, clip_view: ClipView, actions: WindowActions,
                 exporter: Exporter, errors: ErrorPanel, status: StatusLine, store: ClipStore, runner: ClipRunner,
                 controls: ControlsPane, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.scans, self.pane, self.clip_view, self.actions = scans, pane, clip_view, actions
        self.exporter, self.errors, self.status = exporter, errors, status
        self.store, self.runner, self.controls = store, runner, controls
        self._parent = dialog_parent

        pane.scan_requested.connect(self.scan_clip)
        pane.cancel_requested.connect(scans.cancel)
        pane.export_requested.connect(self.export_timeline)
        pane.rule_row.rule_changed.connect(self._rule_chosen)
        pane.timeline.time_clicked.connect(clip_view.preview.seek)
        clip_view.preview.position_changed.connect(pane.timeline.set_position)
        clip_view.scan_hint_clicked.connect(self.scan_clip)
        actions.scan.enabledChanged.connect(pane.scan_button.setEnabled)  # the action decides; the button follows
        pane.scan_button.setEnabled(actions.scan.isEnabled())
        scans.started.connect(self._on_started)
        scans.stage.connect(lambda clip, text: status.say(status.about(clip, text)))
        for signal in (scans.finished, scans.failed, scans.cancelled):
            signal.connect(self.update_actions)
        scans.finished.connect(self._on_finished)
        scans.failed.connect(self._on_failed)
        scans.cancelled.connect(lambda clip: status.say(f"Cancelled the scan of {clip.name}."))
        exporter.saved.connect(lambda path, what: status.say(f"Saved {what} to {path}."))
        exporter.failed.connect(
            lambda failure, path, what: errors.show_message(
                f"Could not save {what} to {path.name}. {failure.message}", failure.detail, hint=failure.hint))

    # -- commands --------------------------------------------------------------------------
    def scan_clip(self) -> None:
        """Scan the clip on show, window by window, with the chosen model and device."""
        clip, options = self.store.current, self.controls.options()
        if clip is None or options is None:
            return
        self.clip_view.show_page(self.pane)
        self.scans.scan(clip, options, self.pane.every_s())

    def export_timeline(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the clip's whole-clip scan, its segments by the rule on screen (CSV, JSON or SRT);
        without `path`, ask where (`suffix`: the format, by default the path's)."""
        result = self.pane.result()
        running = self.scans.running
        if result is None or (running is not None and running.clip == result.clip):
            return  # while a new scan of the clip is on screen, its earlier one is not what is seen
        self.exporter.export_timeline(result, path, suffix, parent=self._parent)

    def export_results(self, path: Path | None = None, suffix: str | None = None, *, folder: Path) -> None:
        """Save the top-5 of every classified clip in the list, failures as rows (CSV or JSON);
        without `path`, ask where (starting in `folder`)."""
        rows = list_results(self.store, self.controls.options())
        if not rows:
            self.errors.show_message("No clip in the list has been classified yet, so there are no results to "
                                     "export.", severity="warning")
            return
        self.exporter.export_results(rows, path, suffix, parent=self._parent, folder=folder)

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
        self.actions.export_timeline.setEnabled(not scanning and self.pane.result() is not None)
        self.actions.cancel.setEnabled(scanning or self.runner.running is not None)

    # -- reports ---------------------------------------------------------------------------
    def _rule_chosen(self, rule: SegmentRule) -> None:
        """The page's segment rule changed: redraw the segments by it, use it from now on, keep it."""
        self.scans.set_rule(rule)
        result = self.pane.result()
        count = f": {len(result.segments)} segment{'s' if len(result.segments) != 1 else ''}" if result else ""
        self.status.say(f"Segments by {describe_rule(rule)}{count}.")
        self.rule_chosen.emit(rule)

    def _on_started(self, clip: Path) -> None:
        self.update_actions()
        self.clip_view.set_scan_hint("")
        self.status.say(self.status.about(clip, "Scanning the whole clip…"))

    def _on_finished(self, clip: Path, result: ScanResult) -> None:
        n = len(result.segments)
        self.status.say(self.status.about(clip, f"Scanned: {len(result.windows)} windows, {n} segment"
                                               f"{'s' if n != 1 else ''} in {result.timings.total_ms / 1000:.1f} s"))

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        self.errors.show_message(f"Could not scan {clip.name}. {failure.message}", failure.detail, hint=failure.hint)
        self.status.say(f"{clip.name}: {failure.message}")
