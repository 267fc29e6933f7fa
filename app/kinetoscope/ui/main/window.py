"""The main window: composes the panes and connects them to the clip runner.

Left, what to run and on which clips (controls, the queue, live graphs); right, the clip on show.
The window itself holds no results and does no work; `ClipRunner` schedules on the window's
serial engine lane, `ClipView` presents, and the error banner is where failures are said.
Its parts get the panes they work on and callbacks, never the window: `RunReports` (what a run
reports), `ShownResult` (the result and failure on show), `ScanControl` (scans, the segment rule,
exports), `ClipRemoval` (Remove, Undo Remove).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QLabel, QMainWindow, QSplitter, QVBoxLayout,
                               QWidget)

from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.inference.results import ClipResult, DeviceReport
from kinetoscope.engine.inference.scan import ScanResult, SegmentRule
from kinetoscope.settings import Settings, SettingsStore
from kinetoscope.ui.main.about import show_about
from kinetoscope.ui.main.clip_removal import ClipRemoval, RemovalCallbacks
from kinetoscope.ui.main.clip_queue import VIDEO_SUFFIXES, ClipQueue, expand_paths
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.main.exporting import Exporter, list_results
from kinetoscope.ui.main.menus import WindowActions, WindowCommands
from kinetoscope.ui.main.models_watch import ModelsWatcher
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.run_reports import RunCallbacks, RunReports
from kinetoscope.ui.main.scan_control import ScanCallbacks, ScanControl
from kinetoscope.ui.main.scan_pane import ScanPane
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.shown_result import ShownResult
from kinetoscope.ui.main.sidebar import drop_invitation, sidebar
from kinetoscope.ui.main.tool_windows import ToolWindows
from kinetoscope.ui.tasks import Lane
from kinetoscope.ui.widgets.error_panel import ErrorPanel, open_log_folder
from kinetoscope.ui.widgets.focus_ring import FocusRing
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.progress_bar import ProgressBar

log = logging.getLogger(__name__)

# 800x560 keeps every pane readable (the side column scrolls); smaller would not.
MIN_SIZE = (800, 560)
DEFAULT_SIZE = (1360, 860)
# The segment rule's boxes change it a step at a time (held arrows, typing "35"): it is written
# once they have been still this long, not on every step; closing writes it at once.
RULE_SAVE_SETTLE_MS = 1000


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
        self._save_rule_later = QTimer(self, singleShot=True, interval=RULE_SAVE_SETTLE_MS)
        self._save_rule_later.timeout.connect(lambda: self.store.save(self.settings))

        # Serial: one classification at a time (they would compete for the NPU and the cores),
        # and the sessions it caches stay on its one thread.
        self.engine = Lane("engine", parent=self, idle_timeout_s=None)
        self.errors = ErrorPanel(where="main window")
        self.controls = ControlsPane()
        self.queue = ClipQueue()
        self.graphs = LiveGraphs()
        self.graphs_box = QGroupBox("Live: latency per view and memory")
        QVBoxLayout(self.graphs_box).addWidget(self.graphs)
        self.clip_view = ClipView(drop_invitation(lambda: self.open_dialog()), self.graphs_box)
        self.runner = ClipRunner(self.engine, self.queue, self.controls.options, self)
        # Scans share the engine lane (one job at a time) and its cached sessions.
        self.scans = ScanRunner(self.engine, self.runner.sessions, self, rule=_saved_rule(self.settings))
        self.scan_pane = ScanPane(self.scans)
        self.clip_view.add_page(self.scan_pane, "Whole-clip scan")
        self.exporter = Exporter(self)
        self.tools = ToolWindows(self, self.controls, current_clip=lambda: self.current_clip,
                                 open_paths=self.open_paths, models_changed=self._models_changed_here,
                                 show_moment=self.show_moment)
        self.scan_pane.timeline.span_marked.connect(lambda s, e: self.tools.teach_part(self.current_clip, s, e))
        self.actions_ = WindowActions(self, self._commands(), self.queue)
        self.progress = ProgressBar(maximumWidth=220, textVisible=True, format="%v of %m views")
        self.status_text = QLabel()
        self._make_parts()
        self._build()
        self._connect()
        self.focus_ring = FocusRing(self)
        # A model imported with the CLI while the window is open appears in the picker by itself.
        self.models_watch = ModelsWatcher(self)
        self.models_watch.changed.connect(self._models_on_disk)

        self.controls.set_models(self.models_watch.locations)  # listed once at start-up, by the watcher
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
    def _make_parts(self) -> None:
        """The parts that present runs and scans, remove clips and export: each gets the panes it
        works on and asks the window for the rest through callbacks."""
        current_clip = lambda: self.current_clip  # noqa: E731 - read when asked, not now
        self.shown = ShownResult(self.clip_view, self.queue, self.errors, current_clip=current_clip,
                                 completed=self._completed)
        self.run_reports = RunReports(self.runner, self.shown, self.clip_view, self.graphs, self.progress,
                                      RunCallbacks(options=self.controls.options, status=self._status,
                                                   about=self._about, set_running=self._set_running,
                                                   clip_opened=self._clip_opened, device_seen=self._device_seen))
        self.scan_control = ScanControl(
            self.scans, self.scan_pane, self.clip_view, self.actions_, self.exporter, self.errors, self,
            ScanCallbacks(current_clip=current_clip, options=self.controls.options,
                          classifying=lambda: self.runner.running is not None, result_rows=self._result_rows,
                          results_folder=self._results_folder, status=self._status, about=self._about,
                          rule_chosen=self._save_rule))
        self.removal = ClipRemoval(self.queue, self.runner, self.scans, self.shown, self.actions_.undo_remove,
                                   RemovalCallbacks(current_clip=current_clip, show_clip=self.show_clip,
                                                    show_nothing=self._show_nothing, list_changed=self._list_changed,
                                                    status=self._status))

    def _build(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(sidebar(self.controls, self.queue, (self.actions_.rerun, self.actions_.cancel)))
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
            remove_selected_clips=self.remove_selected_clips, undo_remove=self.undo_remove,
            clear_clips=self.clear_clips, quit=self.close,
            rerun=self.rerun, cancel=self.cancel, clear_graphs=self.graphs.clear, focus_clips=self.queue.setFocus,
            whole_clip=lambda: self.clip_view.select_view(None),
            open_models=self.tools.open_models, open_benchmark=self.tools.open_benchmark,
            open_camera=self.tools.open_camera, open_library=self.tools.open_library, open_log_folder=self.open_log_folder, about=self.about,
            recent_files=lambda: self.settings.recent_files, clear_recent=self._clear_recent,
            scan_clip=self.scan_clip, export_timeline=self.export_timeline, export_results=self.export_results,
            open_teach=self.tools.open_teach)

    def _models_changed_here(self) -> None:
        """The Models window installed or removed a model: kept results may describe an old one; the
        picker learns of it at once, by the same look (and the same reaction) as a change made elsewhere."""
        self.runner.forget_results()
        self.models_watch.look()

    def _models_on_disk(self, locations: list) -> None:  # noqa: ANN001 - list[ModelLocation]
        before = self.controls.options()
        self.controls.set_models(locations)
        if self.controls.options() != before:  # the model in use went: say so by running with the next
            self._options_changed()

    def _device_seen(self, report: DeviceReport) -> None:
        self.last_device = report

    def _results_folder(self) -> Path:
        return Path(self.settings.last_folder) if self.settings.last_folder else Path.home()

    def _clip_opened(self, clip: Path) -> None:
        self.settings = self.settings.with_recent(clip)
        self.store.save(self.settings)

    def _clear_recent(self) -> None:
        self.settings = replace(self.settings, recent_files=())
        self.store.save(self.settings)

    def _connect(self) -> None:
        self.controls.options_changed.connect(self._options_changed)
        self.queue.clip_chosen.connect(self.show_clip)
        self.clip_view.view_selected.connect(lambda _view: self._update_escape())
        self.queue.itemSelectionChanged.connect(self._update_clip_actions)
        for signal in (self.queue.model().rowsInserted, self.queue.model().rowsRemoved):
            signal.connect(self._update_clip_actions)
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self.errors.refresh_colours())

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
        self.shown.new_clip(clip)
        self.queue.select_clip(clip)
        self.setWindowTitle(clip.name)  # the platform adds " — Kinetoscope"
        self.clip_view.show_clip(clip)
        self.clip_view.set_scan_hint("")
        self.scan_pane.show_clip(clip)
        self._update_clip_actions()
        options = self.controls.options()
        if options is None:
            self.errors.show_message("No model is installed, so there is nothing to classify with.")
            return
        running = self.runner.running
        cached = self.runner.result_for(clip, options)
        failure = self.shown.failure_for(clip, options)
        if failure is not None and cached is None:
            # Shown again, not retried on every visit; Run Again tries once more.
            self.shown.show_failure(clip, failure)
        elif cached is not None:
            self.shown.show_complete(options, cached)
        elif running is not None and running.clip == clip and running.options == options:
            if running.views_total:
                self.clip_view.set_plan(running.info.duration_s if running.info else 0.0, running.views_total,
                                        *running.view_shape())
            for view, top5 in running.views:
                self.clip_view.add_view(view, top5, running.views_total)
        else:
            self.runner.run(clip, options)

    def show_moment(self, clip: Path, at_s: float, scan: ScanResult | None) -> None:
        """Open `clip` at `at_s` on its whole-clip scan page, with `scan` (the library's) shown there."""
        if scan is not None:
            self.scans.keep(scan)
        self.open_paths([clip])
        self.clip_view.show_page(self.scan_pane)
        self.clip_view.preview.seek_once_open(at_s)
        self.raise_()
        self.activateWindow()

    def rerun(self) -> None:
        options = self.controls.options()
        if self.current_clip is not None and options is not None:
            self.errors.dismiss()
            self.shown.forget_failures([self.current_clip])
            self.runner.run(self.current_clip, options, fresh=True)

    def cancel(self) -> None:
        """Esc: stop the scan if one runs (the latest thing asked for), else the classification."""
        if not self.scans.cancel():
            self.runner.cancel()

    # -- whole-clip scans, exports, removal: their own modules; these are the window's commands --
    def scan_clip(self) -> None:
        """Scan the clip on show, window by window, with the chosen model and device."""
        self.scan_control.scan_clip()

    def export_timeline(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the clip's whole-clip scan (see `ScanControl.export_timeline`)."""
        self.scan_control.export_timeline(path, suffix)

    def export_results(self, path: Path | None = None, suffix: str | None = None) -> None:
        """Save the list's results (see `ScanControl.export_results`)."""
        self.scan_control.export_results(path, suffix)

    def _result_rows(self) -> list:
        return list_results(self.queue.clips(), self.runner.results_of, self.controls.options(),
                            self.shown.failure_messages())

    def _save_rule(self, rule: SegmentRule) -> None:
        self.settings = replace(self.settings, segment_threshold=rule.threshold, segment_smoothing=rule.smoothing,
                                segment_min_windows=rule.min_windows)
        self._save_rule_later.start()

    def remove_selected_clips(self) -> None:
        self.removal.remove(self.queue.selected_clips())

    def remove_clips(self, clips: Iterable[Path]) -> None:
        """Take `clips` out of the list (see `ClipRemoval.remove`)."""
        self.removal.remove(clips)

    def undo_remove(self) -> None:
        """Put the clips of the last removal back (see `ClipRemoval.undo`)."""
        self.removal.undo()

    def clear_clips(self) -> None:
        """Stop, forget every queued clip and go back to the empty window; release the sessions of
        models and devices other than the chosen one."""
        self.removal.remove(self.queue.clips())
        self.runner.release_sessions(self.controls.options())

    def _show_nothing(self) -> None:
        self.current_clip = None
        self.clip_view.clear()
        self.scan_pane.show_clip(None)
        self.setWindowTitle("Kinetoscope")
        self._update_clip_actions()

    def _list_changed(self) -> None:
        self.runner.run_next()
        self._set_running(self.runner.running is not None)

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
            self.shown.dismiss_error_about({clip})
            self.shown.show_complete(options, cached)
        else:
            self.errors.dismiss()
            self.runner.run(clip, options)

    def _completed(self, result: ClipResult) -> None:
        """A complete result of the clip on show is on screen: say what made it, offer a scan."""
        self.run_reports.show_summary(result)
        self.scan_control.offer_scan(result)

    def _about(self, clip: Path, text: str) -> str:
        return text if self.shown.is_shown(clip) else f"{clip.name}: {text}"

    def _update_clip_actions(self) -> None:
        self.actions_.rerun.setEnabled(self.current_clip is not None)
        self.actions_.remove_clips.setEnabled(bool(self.queue.selectedItems()))
        self.actions_.clear_queue.setEnabled(self.queue.count() > 0)
        self.actions_.export_results.setEnabled(self.queue.count() > 0)
        self.scan_control.update_actions()

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
        self._save_rule_later.stop()  # saved here, with the rest
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
