"""The main window: composes the panes and connects them to the clip runner.

Left, what to run and on which clips (controls, the queue, live graphs); right, the clip on show.
The window itself holds no results and does no work; `ClipRunner` schedules on the window's
serial engine lane, `ClipView` presents, and the error banner is where failures are said.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMainWindow, QProgressBar,
                               QPushButton, QSplitter, QVBoxLayout, QWidget)

from kinetoscope.engine.modelfiles.model_store import available_models
from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.inference.results import ClipResult, DeviceReport
from kinetoscope.engine.inference.scan import SegmentRule
from kinetoscope.settings import Settings, SettingsStore
from kinetoscope.ui.main.about import show_about
from kinetoscope.ui.main.clip_queue import VIDEO_SUFFIXES, ClipQueue, ClipState, ListedClip, expand_paths
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import ControlsPane, RunOptions
from kinetoscope.ui.main.exporting import Exporter, list_results
from kinetoscope.ui.main.menus import WindowActions, WindowCommands
from kinetoscope.ui.main.models_watch import ModelsWatcher
from kinetoscope.ui.main.runner import ClipRunner, summary
from kinetoscope.ui.main.scan_pane import ScanPane, long_clip_hint
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.segment_rule_row import describe_rule
from kinetoscope.ui.main.tool_windows import ToolWindows
from kinetoscope.ui.tasks import Failure, Lane
from kinetoscope.ui.widgets.error_panel import ErrorPanel, open_log_folder
from kinetoscope.ui.widgets.focus_ring import FocusRing
from kinetoscope.ui.widgets.live_graphs import LiveGraphs

log = logging.getLogger(__name__)

# 800x560 keeps every pane readable (the side column scrolls); smaller would not.
MIN_SIZE = (800, 560)
DEFAULT_SIZE = (1360, 860)


class MainWindow(QMainWindow):
    def __init__(self, store: SettingsStore | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Kinetoscope")
        self.setMinimumSize(*MIN_SIZE)
        self.setAcceptDrops(True)
        self.store = store or SettingsStore()
        self.settings: Settings = self.store.load()
        self.current_clip: Path | None = None
        self.last_device: DeviceReport | None = None
        self._failure: tuple[Path, str] | None = None  # the clip the error banner is about, and its text
        # Each failed clip's failure, with the options it failed with: shown again with the clip.
        self._failures: dict[Path, tuple[RunOptions, Failure]] = {}
        # The complete result on show, kept there while a re-run of its clip (other options) is
        # under way, and after that re-run is cancelled or fails; `_holding` while one runs.
        self._on_screen: tuple[RunOptions, ClipResult] | None = None
        self._holding = False
        # The last removal, for Undo Remove: the clips as the list showed them, and their results.
        self._removed: tuple[list[ListedClip], dict[tuple[Path, RunOptions], ClipResult]] | None = None

        # Serial: one classification at a time (they would compete for the NPU and the cores),
        # and the sessions it caches stay on its one thread.
        self.engine = Lane("engine", parent=self, idle_timeout_s=None)
        self.errors = ErrorPanel(where="main window")
        self.controls = ControlsPane()
        self.queue = ClipQueue()
        self.graphs = LiveGraphs()
        self.graphs_box = QGroupBox("Live: latency per view and memory")
        QVBoxLayout(self.graphs_box).addWidget(self.graphs)
        self.clip_view = ClipView(self._placeholder(), self.graphs_box)
        self.runner = ClipRunner(self.engine, self.queue, self.controls.options, self)
        # Scans share the engine lane (one job at a time) and its cached sessions.
        self.scans = ScanRunner(self.engine, self.runner.sessions, self, rule=_saved_rule(self.settings))
        self.scan_pane = ScanPane(self.scans)
        self.clip_view.add_page(self.scan_pane, "Whole-clip scan")
        self.exporter = Exporter(self)
        self.tools = ToolWindows(self, self.controls, current_clip=lambda: self.current_clip,
                                 open_paths=self.open_paths, models_changed=self.runner.forget_results)
        self.actions_ = WindowActions(self, self._commands(), self.queue)
        self.progress = QProgressBar(maximumWidth=220, textVisible=True, format="%v of %m views")
        self.status_text = QLabel()
        self._build()
        self._connect()
        self.focus_ring = FocusRing(self)
        # A model imported with the CLI while the window is open appears in the picker by itself.
        self.models_watch = ModelsWatcher(self)
        self.models_watch.changed.connect(self._models_on_disk)

        self.controls.set_models(available_models())
        s = self.settings
        self.controls.apply(s.model_id, s.precision, s.device, s.views)
        self.engine.submit(lambda _ctx: device_statuses(), name="probe devices").succeeded.connect(
            self.controls.set_devices)
        self.graphs.start_memory_sampling()
        self._restore_geometry()
        self._set_running(False)
        self._update_clip_actions()
        self._status("Open clips to classify them (Ctrl+O), or drop them anywhere on this window.")

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        run_box = QGroupBox("Run")
        run_layout = QVBoxLayout(run_box)
        run_layout.addWidget(self.controls)
        buttons = QHBoxLayout()
        for action in (self.actions_.rerun, self.actions_.cancel):
            button = QPushButton(action.text().replace("&", ""))
            button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString()})")
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            button.setEnabled(action.isEnabled())
            buttons.addWidget(button)
        run_layout.addLayout(buttons)
        clips_box = QGroupBox("Clips")
        QVBoxLayout(clips_box).addWidget(self.queue)
        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(run_box)
        side.addWidget(clips_box, 1)
        sidebar.setMinimumWidth(240)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(self.clip_view)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1100])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.errors)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.progress)

    def _commands(self) -> WindowCommands:
        return WindowCommands(
            open_dialog=self.open_dialog, open_paths=self.open_paths,
            remove_selected_clips=self.remove_selected_clips, undo_remove=self.undo_remove, clear_clips=self.clear_clips, quit=self.close,
            rerun=self.rerun, cancel=self.cancel, clear_graphs=self.graphs.clear, focus_clips=self.queue.setFocus,
            whole_clip=lambda: self.clip_view.select_view(None),
            open_models=self.tools.open_models, open_benchmark=self.tools.open_benchmark,
            open_camera=self.tools.open_camera, open_log_folder=self.open_log_folder, about=self.about,
            recent_files=lambda: self.settings.recent_files, clear_recent=self._clear_recent,
            scan_clip=self.scan_clip, export_timeline=self.export_timeline, export_results=self.export_results)

    def _models_on_disk(self, locations: list) -> None:  # noqa: ANN001 - list[ModelLocation]
        before = self.controls.options()
        self.controls.set_models(locations)
        if self.controls.options() != before:  # the model in use went: say so by running with the next
            self._options_changed()

    def _clear_recent(self) -> None:
        self.settings = replace(self.settings, recent_files=())
        self.store.save(self.settings)

    def _placeholder(self) -> QWidget:
        page = QWidget()
        hint = QLabel("<h2>Drop video clips or folders here</h2>"
                      "<p>Kinetoscope shows which actions a model sees in them, view by view.</p>")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        button = QPushButton("Open Clips…")
        button.clicked.connect(lambda: self.open_dialog())
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(hint)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        return page

    def _connect(self) -> None:
        self.controls.options_changed.connect(self._options_changed)
        self.queue.clip_chosen.connect(self.show_clip)
        self.clip_view.view_selected.connect(lambda _view: self._update_escape())
        self.queue.itemSelectionChanged.connect(self._update_clip_actions)
        for signal in (self.queue.model().rowsInserted, self.queue.model().rowsRemoved):
            signal.connect(self._update_clip_actions)
        r = self.runner
        r.started.connect(self._on_started)
        r.stage.connect(lambda clip, text: self._status(self._about(clip, text)))
        r.planned.connect(lambda clip, dur, n, frames, seconds: self._is_live(clip)
                          and self.clip_view.set_plan(dur, n, frames, seconds))
        r.session_ready.connect(self._on_session)
        r.progress.connect(self._on_progress)
        r.view_ready.connect(self._on_view)
        r.finished.connect(self._on_finished)
        r.failed.connect(self._on_failed)
        r.cancelled.connect(self._on_cancelled)
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self.errors.refresh_colours())
        p = self.scan_pane
        p.scan_requested.connect(self.scan_clip)
        p.cancel_requested.connect(self.scans.cancel)
        p.export_requested.connect(self.export_timeline)
        p.rule_row.rule_changed.connect(self._rule_chosen)
        p.timeline.time_clicked.connect(self.clip_view.preview.seek)
        self.clip_view.preview.position_changed.connect(p.timeline.set_position)
        self.clip_view.scan_hint_clicked.connect(self.scan_clip)
        s = self.scans
        s.started.connect(self._on_scan_started)
        s.stage.connect(lambda clip, text: self._status(self._about(clip, text)))
        for signal in (s.finished, s.failed, s.cancelled):
            signal.connect(self._update_scan_actions)
        s.finished.connect(self._on_scan_finished)
        s.failed.connect(self._on_scan_failed)
        s.cancelled.connect(lambda clip: self._status(f"Cancelled the scan of {clip.name}."))
        self.exporter.saved.connect(lambda path, what: self._status(f"Saved {what} to {path}."))
        self.exporter.failed.connect(
            lambda failure, path, what: self.errors.show_message(
                f"Could not save {what} to {path.name}. {failure.message}", failure.detail, hint=failure.hint))

    # -- getting clips in -----------------------------------------------------------------
    def open_paths(self, items: Iterable[str | Path]) -> list[Path]:
        """Queue the videos among files and folders; show the first; say what was skipped."""
        videos, skipped = expand_paths(items)
        added = self.queue.add_clips(videos)
        if videos:
            self.settings = replace(self.settings, last_folder=str(videos[0].parent))
            self.store.save(self.settings)
        if skipped:
            names = ", ".join(p.name for p in skipped[:5]) + (" …" if len(skipped) > 5 else "")
            self.errors.show_message(
                f"Skipped {len(skipped)} file{'s' if len(skipped) != 1 else ''} that "
                f"{'are' if len(skipped) != 1 else 'is'} not video: {names}",
                "\n".join(str(p) for p in skipped), severity="warning")
        elif videos:
            self.errors.dismiss()
        if videos:
            self.show_clip((added or videos)[0])
        return added

    def open_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(self, "Open clips", self.settings.last_folder,
                                                f"Videos ({patterns});;All files (*)")
        if files:
            self.open_paths(files)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_paths(files)

    # -- running --------------------------------------------------------------------------
    def show_clip(self, clip: Path) -> None:
        """Put `clip` on show: its cached result, its live run, or a new run."""
        self.current_clip = clip
        self._on_screen, self._holding = None, False
        self.clip_view.set_note("")
        self.queue.select_clip(clip)
        self.setWindowTitle(clip.name)  # the platform adds " — Kinetoscope"
        self.clip_view.show_clip(clip)
        self.clip_view.set_scan_hint("")
        self.scan_pane.show_clip(clip)
        self._update_clip_actions()
        if self._failure is not None and self._failure[0] != clip:
            self._dismiss_error_about({self._failure[0]})  # an error belongs to its clip
        options = self.controls.options()
        if options is None:
            self.errors.show_message("No model is installed, so there is nothing to classify with.")
            return
        running = self.runner.running
        cached = self.runner.result_for(clip, options)
        failed = self._failures.get(clip)
        if failed is not None and failed[0] == options and cached is None:
            # Shown again, not retried on every visit; Run Again tries once more.
            self._show_failure(clip, failed[1])
        elif cached is not None:
            self._show_complete(options, cached)
        elif running is not None and running.clip == clip and running.options == options:
            if running.views_total:
                self.clip_view.set_plan(running.info.duration_s if running.info else 0.0, running.views_total,
                                        *running.view_shape())
            for view, top5 in running.views:
                self.clip_view.add_view(view, top5, running.views_total)
        else:
            self.runner.run(clip, options)

    def rerun(self) -> None:
        options = self.controls.options()
        if self.current_clip is not None and options is not None:
            self.errors.dismiss()
            self._failures.pop(self.current_clip, None)
            self.runner.run(self.current_clip, options, fresh=True)

    def cancel(self) -> None:
        """Esc: stop the scan if one runs (the latest thing asked for), else the classification."""
        if not self.scans.cancel():
            self.runner.cancel()

    # -- whole-clip scans and exports -----------------------------------------------------
    def scan_clip(self) -> None:
        """Scan the clip on show, window by window, with the chosen model and device."""
        options = self.controls.options()
        if self.current_clip is None or options is None:
            return
        self.clip_view.show_page(self.scan_pane)
        self.scans.scan(self.current_clip, options, self.scan_pane.every_s())

    def _rule_chosen(self, rule: SegmentRule) -> None:
        """The scan page's segment rule changed: redraw the segments by it, use it from now on, keep it."""
        self.scans.set_rule(rule)
        result = self.scan_pane.result()
        count = f": {len(result.segments)} segment{'s' if len(result.segments) != 1 else ''}" if result else ""
        self._status(f"Segments by {describe_rule(rule)}{count}.")
        self.settings = replace(self.settings, segment_threshold=rule.threshold, segment_smoothing=rule.smoothing,
                                segment_min_windows=rule.min_windows)
        self.store.save(self.settings)

    def _on_scan_started(self, clip: Path) -> None:
        self._update_scan_actions()
        self.clip_view.set_scan_hint("")
        self._status(self._about(clip, "Scanning the whole clip…"))

    def _on_scan_finished(self, clip: Path, result) -> None:  # noqa: ANN001 - ScanResult
        self._status(self._about(clip, f"Scanned: {len(result.windows)} windows, {len(result.segments)} segments "
                                       f"in {result.timings.total_ms / 1000:.1f} s"))

    def _on_scan_failed(self, clip: Path, failure: Failure) -> None:
        self.errors.show_message(f"Could not scan {clip.name}. {failure.message}", failure.detail, hint=failure.hint)
        self._status(f"{clip.name}: {failure.message}")

    def _update_scan_actions(self) -> None:
        scanning = self.scans.running is not None
        self.actions_.scan.setEnabled(self.current_clip is not None)
        self.actions_.export_timeline.setEnabled(not scanning and self.scan_pane.result() is not None)
        self.actions_.cancel.setEnabled(scanning or self.runner.running is not None)

    def _offer_scan(self, result: ClipResult) -> None:
        """A clip much longer than its views cover, and not scanned yet, gets a hint to scan it whole."""
        keys = self.actions_.scan.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        scanned = self.scans.result_for(result.clip) is not None
        self.clip_view.set_scan_hint("" if scanned else long_clip_hint(result, keys))

    def export_timeline(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the clip's whole-clip scan (CSV, JSON or SRT); without `path`, ask where (`suffix`:
        the format, by default the path's)."""
        result = self.scan_pane.result()
        running = self.scans.running
        if result is None or (running is not None and running.clip == result.clip):
            return  # while a new scan of the clip is on screen, its earlier one is not what is seen
        self.exporter.export_timeline(result, path, suffix, parent=self)

    def export_results(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the top-5 of every classified clip in the list, failures as rows (CSV or JSON);
        without `path`, ask where."""
        failures = {clip: failure.message for clip, (_options, failure) in self._failures.items()}
        rows = list_results(self.queue.clips(), self.runner.results_of, self.controls.options(), failures)
        if not rows:
            self.errors.show_message("No clip in the list has been classified yet, so there are no results to "
                                     "export.", severity="warning")
            return
        folder = Path(self.settings.last_folder) if self.settings.last_folder else Path.home()
        self.exporter.export_results(rows, path, suffix, parent=self, folder=folder)

    def remove_selected_clips(self) -> None:
        self.remove_clips(self.queue.selected_clips())

    def remove_clips(self, clips: Iterable[Path]) -> None:
        """Take `clips` out of the list: stop the one running, forget their results; the queue
        goes on with the rest.

        If the clip on show goes, the clip that takes its place in the list is shown as if clicked
        (its result, its live run, or a new run); with no clip left the window is empty again.
        """
        gone = set(clips) & set(self.queue.clips())
        if not gone:
            return
        self._removed = (self.queue.listed(gone), self.runner.results_of(gone))
        self.actions_.undo_remove.setEnabled(True)
        successor = self.queue.remove_clips(gone)
        self.runner.forget(gone)
        self.scans.forget(gone)
        self._dismiss_error_about(gone)
        for clip in gone:
            self._failures.pop(clip, None)
        if self.current_clip in gone:
            if successor is not None:
                self.show_clip(successor)
            else:
                self.current_clip = None
                self.clip_view.clear()
                self.scan_pane.show_clip(None)
                self.setWindowTitle("Kinetoscope")
                self._update_clip_actions()
        elif self.current_clip is not None:
            self.queue.select_clip(self.current_clip)
        self.runner.run_next()
        self._set_running(self.runner.running is not None)
        # Said last, so a successor's result does not hide how many went (a run's next stage will).
        names = next(iter(gone)).name if len(gone) == 1 else f"{len(gone)} clips"
        undo = self.actions_.undo_remove.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self._status(f"Removed {names} from the list. Undo Remove ({undo}) puts "
                     f"{'it' if len(gone) == 1 else 'them'} back.")

    def undo_remove(self) -> None:
        """Put the clips of the last removal back where they stood, with the results they had."""
        if self._removed is None:
            return
        listed, results = self._removed
        self._removed = None
        self.actions_.undo_remove.setEnabled(False)
        self.runner.keep({key: result for key, result in results.items() if key[0] not in self.queue.clips()})
        restored = self.queue.restore(listed)
        if not restored:
            return
        if self.current_clip is None:
            self.show_clip(restored[0])
        self.runner.run_next()
        self._set_running(self.runner.running is not None)
        names = restored[0].name if len(restored) == 1 else f"{len(restored)} clips"
        self._status(f"Restored {names} to the list.")

    def clear_clips(self) -> None:
        """Stop, forget every queued clip and go back to the empty window."""
        self.remove_clips(self.queue.clips())

    def _options_changed(self) -> None:
        options = self.controls.options()
        if options is not None:
            self.settings = replace(self.settings, model_id=options.model_id, precision=options.precision,
                                    device=options.device, views=options.views)
            self.store.save(self.settings)
        if self.current_clip is None or options is None:
            return
        clip, running = self.current_clip, self.runner.running
        if running is not None and running.clip == clip and running.options == options:
            return  # the run under way already uses these options (they settled after it started)
        cached = self.runner.result_for(clip, options)
        if cached is not None and (running is None or running.clip != clip):
            # Back to options this clip already ran with, or they settled after that run ended.
            self._dismiss_error_about({clip})
            self._holding = False
            self._show_complete(options, cached)
        else:
            self.errors.dismiss()
            self.runner.run(clip, options)

    def _dismiss_error_about(self, clips: set[Path]) -> None:
        """Take the error banner away if it is about a failure of one of `clips`."""
        if self._failure is not None and self._failure[0] in clips and self.errors.message == self._failure[1]:
            self.errors.dismiss()

    def _is_shown(self, clip: Path) -> bool:
        return clip == self.current_clip

    def _is_live(self, clip: Path) -> bool:
        """Whether the run of `clip` is drawn as it goes (not while a complete result is held)."""
        return self._is_shown(clip) and not self._holding

    def _show_complete(self, options: RunOptions, result: ClipResult) -> None:
        """Show a complete result of the current clip, run with `options`."""
        self._on_screen = (options, result)
        self.clip_view.set_note("")
        self.clip_view.show_result(result)
        self._show_summary(result)
        self._offer_scan(result)

    def _let_go(self, clip: Path, what: str) -> None:
        """A re-run of the shown clip ended without a result (`what`: "was cancelled", "failed"):
        the complete result held on show stays, and says so."""
        self._holding = False
        if self._on_screen is None or not self._is_shown(clip):
            return
        options, result = self._on_screen
        self.clip_view.set_note(f"Showing the earlier result ({_describe(options, len(result.views))}); "
                                f"the run with the new options {what}. Run Again tries them again.")
        if what != "failed":  # a failure stays on the row (and in the banner): these options fail
            self.queue.set_state(clip, ClipState.DONE, summary(result))

    def _about(self, clip: Path, text: str) -> str:
        return text if self._is_shown(clip) else f"{clip.name}: {text}"

    def _on_started(self, clip: Path) -> None:
        if self._is_shown(clip):
            running = self.runner.running
            if self._on_screen is not None and running is not None and running.options != self._on_screen[0]:
                # Other options: the complete result stays until the new one is complete.
                self._holding = True
                options, result = self._on_screen
                self.clip_view.set_note(f"Showing the result with {_describe(options, len(result.views))}; "
                                        f"classifying with {_describe(running.options)}…")
            else:
                self._holding = False
                self._on_screen = None
                self.clip_view.set_note("")
                self.clip_view.reset()
        self._set_running(True)
        self.progress.setRange(0, 0)  # busy until the view count is known
        self._status(self._about(clip, "Starting…"))

    def _on_session(self, clip: Path, report: DeviceReport) -> None:
        self.last_device = report
        running = self.runner.running
        if running is not None:  # views from here on are this model on this device
            self.graphs.start_run(f"{running.options.model_id} ({running.options.precision}) · {report.label}")
        self._status(self._about(clip, f"Classifying on {report.label}…"))

    def _on_progress(self, clip: Path, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if self._is_live(clip):
            self.clip_view.set_active_view(done if done < total else None)

    def _on_view(self, clip: Path, view, running_top5, total: int) -> None:  # noqa: ANN001
        self.graphs.add_latency(view.inference_ms)
        if self._is_live(clip):
            self.clip_view.add_view(view, running_top5, total)

    def _on_finished(self, clip: Path, result: ClipResult) -> None:
        self._set_running(self.runner.running is not None)
        # Open Recent offers clips that opened: a file that cannot be read is not worth reopening.
        self.settings = self.settings.with_recent(clip)
        self.store.save(self.settings)
        if self._is_shown(clip):
            options = self.controls.options()
            if self._holding or options is None:
                self._holding = False
                self._show_complete(options, result)
            else:
                self._on_screen = (options, result)
                self.clip_view.finish(result)
                self._show_summary(result)
                self._offer_scan(result)
        else:  # a clip in the background: its outcome replaces its "Classifying…" (the next start replaces this)
            self._status(f"{clip.name}: {summary(result)}")

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        self._set_running(self.runner.running is not None)
        options = self.controls.options()
        if options is not None:
            self._failures[clip] = (options, failure)
        if self._is_shown(clip):
            self._show_failure(clip, failure)
            self._let_go(clip, "failed")
        # A clip in the background: its row and the status bar say it; the banner comes with the clip.
        self._status(f"{clip.name}: {failure.message}")

    def _show_failure(self, clip: Path, failure: Failure) -> None:
        text = f"Could not classify {clip.name}. {failure.message}"
        self.errors.show_message(text, failure.detail, hint=failure.hint)
        self._failure = (clip, text)

    def _on_cancelled(self, clip: Path) -> None:
        self._set_running(self.runner.running is not None)
        running = self.runner.running
        if self._holding and not (running is not None and running.clip == clip):
            self._let_go(clip, "was cancelled")
        if self.runner.running is None:
            self._status(f"Cancelled {clip.name}.")

    def _show_summary(self, result: ClipResult) -> None:
        self.last_device = result.device
        m = result.model
        note = f" · {m.labels_note}" if m.labels_note else ""
        self._status(f"{result.device.summary()} · {m.name} ({m.precision}) · {len(result.views)} views "
                     f"in {result.timings.total_ms / 1000:.1f} s{note}")

    def _update_clip_actions(self) -> None:
        self.actions_.rerun.setEnabled(self.current_clip is not None)
        self.actions_.remove_clips.setEnabled(bool(self.queue.selectedItems()))
        self.actions_.clear_queue.setEnabled(self.queue.count() > 0)
        self.actions_.export_results.setEnabled(self.queue.count() > 0)
        self._update_scan_actions()

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.actions_.cancel.setEnabled(running or self.scans.running is not None)
        self._update_escape()

    def _update_escape(self) -> None:
        """Esc backs out of the nearest thing: a chosen view first (back to the whole clip), else a
        run. Two enabled actions on one key would both be ambiguous, so only one holds it."""
        view_chosen = self.clip_view.selected_view is not None
        self.actions_.whole_clip.setEnabled(view_chosen)
        self.actions_.cancel.setShortcut(QKeySequence() if view_chosen else QKeySequence(Qt.Key.Key_Escape))

    def _status(self, text: str) -> None:
        self.status_text.setText(text)

    # -- window ---------------------------------------------------------------------------
    def show_unexpected_error(self, message: str, detail: str) -> None:
        self.errors.show_message(message, detail)

    def open_log_folder(self) -> None:
        open_log_folder(self)

    def about(self) -> None:
        show_about(self)

    def _restore_geometry(self) -> None:
        if self.settings.geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(self.settings.geometry)))
        else:
            self.resize(*DEFAULT_SIZE)
        if self.settings.splitter_state:
            self.splitter.restoreState(QByteArray(base64.b64decode(self.settings.splitter_state)))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.settings = replace(self.settings,
                                geometry=base64.b64encode(bytes(self.saveGeometry())).decode("ascii"),
                                splitter_state=base64.b64encode(bytes(self.splitter.saveState())).decode("ascii"))
        self.store.save(self.settings)
        self.graphs.stop_memory_sampling()
        self.tools.close_all()
        self.exporter.shutdown()
        self.runner.shutdown()
        super().closeEvent(event)


def _saved_rule(settings: Settings) -> SegmentRule:
    """The segment rule the settings keep (they are checked on load, so it is a valid one)."""
    return SegmentRule(threshold=settings.segment_threshold, smoothing=settings.segment_smoothing,
                       min_windows=settings.segment_min_windows)


def _describe(options: RunOptions, views: int | None = None) -> str:
    """What a run used, in a few words: "motion_demo (float) on CPU, 5 views"."""
    count = views if views is not None else options.views
    views_text = f"{count} views" if count else "the model's views"
    return f"{options.model_id} ({options.precision}) on {options.device.upper()}, {views_text}"
