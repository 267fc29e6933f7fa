"""The main window: composes the panes and connects them to the clips' records and the runners.

Left, what to run and on which clips (controls, the clip list, live graphs); right, the clip on show.
Every clip's state lives in one record in the `ClipStore`; the window itself holds no results and
does no work. `ClipRunner` and `ScanRunner` schedule on the window's serial engine lane and write
the records, `ShownClip` presents the clip on show (what to show is `decide`d from its record),
`ScanPane` shows the scans and has the scan and export commands, `ClipRemoval` Remove and Undo Remove; the error
banner is where failures are said. The parts get the store and the panes they work on, never the
window, and say what happened by signals.

Its public surface for other windows: `open_paths` (queue and show clips), `show_clip`, and
`clip_view.preview.seek` (go to a time in the clip on show).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QMainWindow, QMessageBox, QSplitter, QWidget)

from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.inference.results import DeviceReport
from kinetoscope.engine.inference.scan import ScanResult, SegmentRule
from kinetoscope.settings import Settings, SettingsStore
from kinetoscope.ui.main.about import show_about
from kinetoscope.ui.main.clip_queue import VIDEO_SUFFIXES, ClipQueue, expand_paths
from kinetoscope.ui.main.clip_records import ClipState, ClipStore, RunOptions, Show, decide, run_label
from kinetoscope.ui.main.clip_removal import ClipRemoval
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.main.exporting import Exporter
from kinetoscope.ui.main.menus import WindowActions
from kinetoscope.ui.main.models_watch import ModelsWatcher
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_pane import ScanPane
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.shown_clip import ShownClip, StatusLine
from kinetoscope.ui.main.sidebar import drop_invitation, sidebar
from kinetoscope.ui.main.tool_windows import ToolWindows
from kinetoscope.ui.tasks import Lane, Op
from kinetoscope.ui.widgets.error_panel import ErrorPanel, open_log_folder
from kinetoscope.ui.widgets.focus_ring import FocusRing
from kinetoscope.ui.widgets.layouts import column
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.progress_bar import ProgressBar

log = logging.getLogger(__name__)

# 800x560 keeps every pane readable (the side column scrolls); smaller would not.
MIN_SIZE = (800, 560)
DEFAULT_SIZE = (1360, 860)
# A model bundle this large runs for minutes a clip on the NPU simulator: ask before starting.
SLOW_ON_SIMULATOR_BYTES = 5_000_000
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
        self.clips = ClipStore()
        self.last_device: DeviceReport | None = None
        self._slow_ok: set[Path] = set()  # models the person agreed to run on the NPU simulator
        self._save_rule_later = QTimer(self, singleShot=True, interval=RULE_SAVE_SETTLE_MS)
        self._save_rule_later.timeout.connect(lambda: self.store.save(self.settings))

        # Serial: one classification at a time (they would compete for the NPU and the cores),
        # and the sessions it caches stay on its one thread.
        self.engine = Lane("engine", parent=self, idle_timeout_s=None)
        self.errors = ErrorPanel(where="main window")
        self.controls = ControlsPane()
        self.queue = ClipQueue(self.clips)
        self.graphs = LiveGraphs()
        self.graphs_box = QGroupBox("Live: latency per view and memory")
        column(self.graphs, parent=self.graphs_box)
        self.clip_view = ClipView(drop_invitation(lambda: self.open_dialog(), lambda: self.open_folder_dialog()),
                                  self.graphs_box)
        self.runner = ClipRunner(self.engine, self.clips, self.controls.options, self)
        # Scans share the engine lane (one job at a time) and its cached sessions.
        self.scans = ScanRunner(self.engine, self.runner.sessions, self.clips, self, rule=_saved_rule(self.settings))
        self.exporter = Exporter(self)
        self.tools = ToolWindows(self, self.controls, current_clip=lambda: self.current_clip,
                                 open_paths=self.open_paths, models_changed=self._models_changed_here,
                                 show_moment=self.show_moment)
        self.actions_ = WindowActions(self, self.queue)
        self.progress = ProgressBar(maximumWidth=220, textVisible=True, format="%v of %m views")
        self.status_text = StatusLine(self.clips)
        self.shown = ShownClip(self.runner, self.clips, self.clip_view, self.errors, self.graphs, self.progress,
                               self.status_text, self)
        self.scan_pane = ScanPane(self.scans, self.clip_view, self.actions_, self.exporter, self.errors,
                                  self.status_text, self.clips, self.runner, self.controls, self)
        self.clip_view.add_page(self.scan_pane, "Whole-clip scan")
        self.scan_pane.timeline.span_marked.connect(lambda s, e: self.tools.teach_part(self.current_clip, s, e))
        self.removal = ClipRemoval(self.clips, self.runner, self.scans, self.actions_.undo_remove, self.status_text,
                                   self)
        self._build()
        self._connect()
        self.focus_ring = FocusRing(self)
        # A model imported with the CLI while the window is open appears in the picker by itself.
        self.models_watch = ModelsWatcher(self)
        self.models_watch.changed.connect(self._models_on_disk)

        self.controls.set_models(self.models_watch.locations)  # listed once at start-up, by the watcher
        s = self.settings
        self.controls.apply(s.model_id, s.precision, s.device, s.views)
        self.engine.unhandled.connect(lambda failure: self.errors.show_message(failure.message, failure.detail,
                                                                              hint=failure.hint))
        Op(self.engine, lambda _ctx: device_statuses(), name="probe devices").success(self.controls.set_devices).run()
        self.graphs.start_memory_sampling()
        self._restore_geometry()
        self._set_running(False)
        self._update_clip_actions()
        self.status_text.setText("Open clips to classify them (Ctrl+O), or drop them anywhere on this window.")

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(sidebar(self.controls, self.queue, (self.actions_.rerun, self.actions_.cancel)))
        self.splitter.addWidget(self.clip_view)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1100])

        central = QWidget()
        column((self.splitter, 1), parent=central, margins=(8, 8, 8, 4))
        self.setCentralWidget(central)
        # Over the clip's side, not the controls: they stay usable while a message is read.
        self.errors.float_over(self.clip_view, margin=4)
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.progress)

    def _models_changed_here(self) -> None:
        """The Models window installed or removed a model: kept results may describe an old one; the
        picker learns of it at once, by the same look (and the same reaction) as a change made elsewhere."""
        self.clips.forget_results()
        self.models_watch.look()

    def _models_on_disk(self, locations: list) -> None:  # noqa: ANN001 - list[ModelLocation]
        before = self.controls.options()
        self.controls.set_models(locations)
        if self.controls.options() != before:  # the model in use went: say so by running with the next
            self._options_changed()

    def _results_folder(self) -> Path:
        return Path(self.settings.last_folder) if self.settings.last_folder else Path.home()

    def _save_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.store.save(settings)

    def _connect(self) -> None:
        a = self.actions_
        for action, command in (
                (a.open, self.open_dialog), (a.open_folder, self.open_folder_dialog), (a.remove_clips, self.remove_selected_clips),
                (a.undo_remove, self.removal.undo), (a.clear_queue, self.clear_clips), (a.quit, self.close),
                (a.rerun, self.rerun), (a.cancel, self.cancel), (a.scan, self.scan_pane.scan_clip),
                (a.export_timeline, self.scan_pane.export_timeline),
                (a.export_results, lambda: self.scan_pane.export_results(folder=self._results_folder())),
                (a.clear_graphs, self.graphs.clear), (a.focus_clips, self.queue.setFocus),
                (a.whole_clip, lambda: self.clip_view.select_view(None)), (a.models, self.tools.open_models),
                (a.benchmark, self.tools.open_benchmark), (a.camera, self.tools.open_camera),
                (a.teach, self.tools.open_teach), (a.library, self.tools.open_library),
                (a.open_log, lambda: open_log_folder(self)), (a.about, lambda: show_about(self))):
            action.triggered.connect(lambda _checked=False, command=command: command())  # not with `checked`
        a.recent_menu.aboutToShow.connect(lambda: a.fill_recent(self.settings.recent_files))
        a.recent_chosen.connect(lambda path: self.open_paths([path]))
        a.recent_cleared.connect(lambda: self._save_settings(replace(self.settings, recent_files=())))
        self.shown.completed.connect(self.scan_pane.offer_scan)
        self.shown.opened.connect(lambda clip: self._save_settings(self.settings.with_recent(clip)))
        self.shown.device_seen.connect(lambda report: setattr(self, "last_device", report))
        r = self.runner
        for signal in (r.started, r.finished, r.failed, r.cancelled):
            signal.connect(lambda *_: self._set_running(self.runner.running is not None))
        self.scan_pane.rule_chosen.connect(self._save_rule)
        # A scan's windows take the engine's time too: the graphs' figures say what runs now.
        self.scans.planned.connect(lambda _clip, planned: self.scans.running and self.graphs.start_run(
            run_label(self.scans.running.options, planned.device.label)))
        self.removal.show.connect(self.show_clip)
        self.removal.emptied.connect(self._show_nothing)
        self.removal.changed.connect(self._list_changed)
        self.controls.options_changed.connect(self._options_changed)
        self.queue.clip_chosen.connect(self.show_clip)
        self.clip_view.view_selected.connect(lambda _view: self._update_escape())
        for signal in (self.queue.model().rowsInserted, self.queue.model().rowsRemoved):
            signal.connect(self._update_clip_actions)
        self.queue.selectionModel().selectionChanged.connect(self._update_clip_actions)
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self.errors.refresh_colours())

    # -- getting clips in -----------------------------------------------------------------
    def open_paths(self, items: Iterable[str | Path]) -> list[Path]:
        """Queue the videos among files and folders; show the first; say what was skipped."""
        videos, skipped = expand_paths(items)
        added = self.clips.add(videos)
        if videos:
            self._save_settings(replace(self.settings, last_folder=str(videos[0].parent)))
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

    def open_folder_dialog(self) -> None:
        """Queue every video in a chosen folder, as a dropped folder is."""
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of clips", self.settings.last_folder)
        if folder:
            self.open_paths([folder])

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
    @property
    def current_clip(self) -> Path | None:
        """The clip on show."""
        return self.clips.current

    def show_clip(self, clip: Path) -> None:
        """Put `clip` on show: its kept result, its failure, its live run, or a new run."""
        self.clips.current = clip
        self.shown.new_clip(clip)
        self.queue.select_clip(clip)
        self.setWindowTitle(clip.name)  # the platform adds " — Kinetoscope"
        self.clip_view.show_clip(clip)
        self.clip_view.set_scan_hint("")
        self.scan_pane.show_clip(clip)
        self._update_clip_actions()
        self._show_decided(picked=True)

    def _show_decided(self, *, picked: bool) -> None:
        """Show for the clip on show what `decide` says: just `picked`, or its options just changed."""
        clip, options = self.clips.current, self.controls.options()
        record = self.clips.get(clip)
        if record is None:
            return
        decision = decide(record, options)
        if decision.show is Show.NO_MODEL:
            self.errors.show_message("No model is installed, so there is nothing to classify with.")
        elif decision.show is Show.COMPLETE:
            if record.run is not None:  # a run with other options is under way on it: not needed now
                self.runner.forget({record.path})
                self.clips.set_state(record.path, ClipState.DONE, decision.result)
                self.runner.run_next()
            self.shown.dismiss_error_about({record.path})
            self.shown.show_complete(options, decision.result)
        elif decision.show is Show.FAILURE:
            self.shown.show_failure(record.path, decision.failure)  # said again; Run Again retries
        elif decision.show is Show.LIVE:
            if picked:
                self.shown.show_live(record.run)
        else:
            if decision.held is not None and self.shown.on_screen is None:
                self.shown.show_complete(*decision.held)  # stays on show until the new result is complete
            if not picked:
                self.errors.dismiss()
            self.runner.run(record.path, options)

    def show_moment(self, clip: Path, at_s: float, scan: ScanResult | None) -> None:
        """Open `clip` at `at_s` on its whole-clip scan page, with `scan` (the library's) shown there."""
        self.open_paths([clip])
        if scan is not None and self.current_clip is not None:
            self.clips.keep_scan(self.current_clip, scan)
            self.scan_pane.show_clip(self.current_clip)
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

    # -- the segment rule kept, and removal (its own module): the window's commands ----------
    def _save_rule(self, rule: SegmentRule) -> None:
        self.settings = replace(self.settings, segment_threshold=rule.threshold, segment_smoothing=rule.smoothing,
                                segment_min_windows=rule.min_windows)
        self._save_rule_later.start()

    def remove_selected_clips(self) -> None:
        self.remove_clips(self.queue.selected_clips())

    def remove_clips(self, clips: Iterable[Path]) -> None:
        """Take `clips` out of the list (see `ClipRemoval.remove`)."""
        gone = set(clips)
        self.shown.dismiss_error_about(gone)
        self.removal.remove(gone)
        if self.current_clip is not None:
            self.queue.select_clip(self.current_clip)

    def clear_clips(self) -> None:
        """Stop, forget every queued clip and go back to the empty window (and graphs); release the
        sessions of models and devices other than the chosen one."""
        self.remove_clips(self.queue.clips())
        self.graphs.clear()
        self.runner.release_sessions(self.controls.options())

    def _show_nothing(self) -> None:
        self.clips.current = None
        self.clip_view.clear()
        self.scan_pane.show_clip(None)
        self.setWindowTitle("Kinetoscope")
        self._update_clip_actions()

    def _list_changed(self) -> None:
        self.runner.run_next()
        self._set_running(self.runner.running is not None)

    def _options_changed(self) -> None:
        options = self.controls.options()
        if options is not None and not self._simulator_confirmed(options):
            self.controls.apply(options.model_id, options.precision, "cpu", options.views)
            options = self.controls.options()
        if options is not None:
            self._save_settings(replace(self.settings, model_id=options.model_id, precision=options.precision,
                                        device=options.device, views=options.views))
        if self.current_clip is not None and options is not None:
            self._show_decided(picked=False)

    def _simulator_confirmed(self, options: RunOptions) -> bool:
        """A large model on the NPU simulator takes minutes a clip: the person says yes first (once
        per model), rather than learning it from a run already under way."""
        if (options.device != "npu" or not self.controls.npu_is_simulated() or options.model_path in self._slow_ok
                or not options.model_path.is_file() or options.model_path.stat().st_size < SLOW_ON_SIMULATOR_BYTES):
            return True
        answer = QMessageBox.question(
            self, "Run on the NPU simulator?",
            f"There is no NPU here: the HTP simulator computes its results on the CPU, and with "
            f"{options.model_name or options.model_id} a clip takes several minutes.\n\nRun it on the simulator anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self._slow_ok.add(options.model_path)
            return True
        return False

    def _update_clip_actions(self) -> None:
        self.actions_.rerun.setEnabled(self.current_clip is not None)
        self.actions_.remove_clips.setEnabled(bool(self.queue.selected_clips()))
        self.actions_.clear_queue.setEnabled(self.queue.count() > 0)
        self.actions_.export_results.setEnabled(self.queue.count() > 0)
        self.scan_pane.update_actions()

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

    # -- window ---------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        if self.settings.geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(self.settings.geometry)))
        else:
            self.resize(*DEFAULT_SIZE)
        if self.settings.splitter_state:
            self.splitter.restoreState(QByteArray(base64.b64decode(self.settings.splitter_state)))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._save_rule_later.stop()  # saved here, with the rest
        self._save_settings(replace(self.settings,
                                    geometry=base64.b64encode(bytes(self.saveGeometry())).decode("ascii"),
                                    splitter_state=base64.b64encode(bytes(self.splitter.saveState())).decode("ascii")))
        self.graphs.stop_memory_sampling()
        self.tools.close_all()
        self.exporter.shutdown()
        self.runner.shutdown()
        super().closeEvent(event)


def _saved_rule(settings: Settings) -> SegmentRule:
    """The segment rule the settings keep (they are checked on load, so it is a valid one)."""
    return SegmentRule(threshold=settings.segment_threshold, smoothing=settings.segment_smoothing,
                       min_windows=settings.segment_min_windows)
