"""The Teach window: pick or make a set, add examples (drop clips, a part the main window marked,
or a recording made in the Camera window), train with progress and cancel, read the report, and
use the taught model.

Everything slow (features, training, saving) runs on the window's lane through `TeachJobs`; the
window only shows the set the engine saved and the report it returned.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QMessageBox,
                               QPushButton, QSplitter, QVBoxLayout, QWidget)

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.modelfiles.model_store import name_of
from kinetoscope.engine.teach.action_set import ActionSet, BaseModel, check_set_name, list_sets, load_set
from kinetoscope.engine.teach.probe import ProbeReport
from kinetoscope.engine.teach.teaching import remove, taught_info, trained_precisions
from kinetoscope.ui.tasks import Failure, Job, Lane, Op, Task
from kinetoscope.ui.teach.examples_tree import ExamplesTree
from kinetoscope.ui.teach.jobs import NewExample, Step, TeachJobs
from kinetoscope.ui.teach.report_view import ReportView
from kinetoscope.ui.widgets.progress_bar import ProgressBar
from kinetoscope.ui.widgets.placement import close_keys

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.avi *.webm *.m4v);;All files (*)"


class TeachWindow(QWidget):
    """A top-level tool window; `use_model(model_id, precision)` asks the main window to switch;
    `record_requested(action)` asks it for the Camera window, whose next recording comes back
    through `add_recording`."""

    use_model = Signal(str, str)
    models_changed = Signal()
    record_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Teach")
        self.lane = Lane("teach", parent=self, idle_timeout_s=None)
        self.jobs = TeachJobs()
        self._set: ActionSet | None = None
        self._new_name = ""          # a set named but without examples yet (nothing saved)
        self._task: Task | None = None
        self._report: ProbeReport | None = None
        self._recording_for = ""     # the action the Camera window's next recording is an example of

        self.set_combo = QComboBox()
        self.set_combo.setAccessibleName("Action set")
        self.set_combo.setMinimumWidth(200)
        self.set_combo.currentTextChanged.connect(self._set_chosen)
        self.new_set_button = QPushButton("New Set…")
        self.new_set_button.clicked.connect(self.ask_new_set)
        self.base_label = QLabel("")
        top = QHBoxLayout()
        top.addWidget(QLabel("Set:"))
        top.addWidget(self.set_combo)
        top.addWidget(self.new_set_button)
        top.addWidget(self.base_label, 1)

        self.tree = ExamplesTree()
        self.tree.clips_dropped.connect(self._dropped)
        self.add_action_button = QPushButton("Add Action…")
        self.add_action_button.clicked.connect(self.ask_new_action)
        self.add_clips_button = QPushButton("Add Clips…")
        self.add_clips_button.clicked.connect(self.ask_clips)
        self.record_button = QPushButton("Record…")
        self.record_button.setToolTip("Record an example of the selected action with the camera")
        self.record_button.clicked.connect(self.ask_recording)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for b in (self.add_action_button, self.add_clips_button, self.record_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        hint = QLabel("Drop clips on an action to add them as examples; mark a part of a clip on the main "
                      "window's whole-clip timeline (Shift+drag) to add just that part; or record one.")
        hint.setWordWrap(True)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.tree, 1)
        lv.addLayout(buttons)
        lv.addWidget(hint)

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use This Model")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        self.progress = ProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.report_view = ReportView()
        actions = QHBoxLayout()
        for b in (self.train_button, self.cancel_button, self.use_button):
            actions.addWidget(b)
        actions.addWidget(self.progress, 1)
        actions.addStretch(0)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addLayout(actions)
        rv.addWidget(self.status)
        rv.addWidget(self.report_view, 1)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([460, 540])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.resize(1040, 620)
        close_keys(self)
        self.reload_sets()

    # -- the set ----------------------------------------------------------------------------
    @property
    def set_name(self) -> str:
        return self._set.name if self._set is not None else self._new_name

    def reload_sets(self, select: str = "") -> None:
        names = list_sets()
        if self._new_name and self._new_name not in names:
            names.append(self._new_name)
        current = select or self.set_combo.currentText()
        self.set_combo.blockSignals(True)
        self.set_combo.clear()
        self.set_combo.addItems(names)
        self.set_combo.blockSignals(False)
        if current in names:
            self.set_combo.setCurrentText(current)
        self._set_chosen(self.set_combo.currentText())

    def _set_chosen(self, name: str) -> None:
        self._set = None
        if name and name != self._new_name:
            try:
                self._set = load_set(name)
            except BadInput as exc:
                self.status.setText(exc.message)
        self.tree.show_set(self._set)
        trained = trained_precisions(name) if name else []
        info = taught_info(name, trained[0]) if trained else None
        report = info.get("report") if info else None
        self.base_label.setText(f"taught on {_base_name(self._set.base_model)}" if self._set else
                                ("new set: add an action and its clips" if name else "make a set to begin"))
        self.report_view.show_report(_report_from(report), "the saved model's report" if report else "")
        self.use_button.setEnabled(bool(trained))
        self._enable()

    def ask_new_set(self) -> None:
        name, ok = QInputDialog.getText(self, "New Set", "Name of the set (it becomes the model's name; "
                                        "lower-case letters, digits, _):")
        if ok and name.strip():
            self.new_set(name.strip())

    def new_set(self, name: str) -> bool:
        try:
            check_set_name(name)
        except BadInput as exc:
            QMessageBox.warning(self, "New Set", exc.message)
            return False
        if name not in list_sets():
            self._new_name = name
        self.reload_sets(select=name)
        return True

    # -- examples ---------------------------------------------------------------------------
    def ask_new_action(self) -> None:
        if not self.set_name and not self._ask_set_first():
            return
        action, ok = QInputDialog.getText(self, "Add Action", "Name of the action (e.g. jab):")
        if ok and action.strip():
            self.ask_clips(action.strip())

    def ask_clips(self, action: str = "") -> None:
        action = action or self._selected_action() or ""
        if not action:
            self.ask_new_action()
            return
        files, _ = QFileDialog.getOpenFileNames(self, f"Examples of {action}", "", VIDEO_FILTER)
        if files:
            self.add_examples([NewExample(action, Path(f)) for f in files])

    def add_part(self, clip: Path, start_s: float, end_s: float) -> None:
        """The main window's hook: a part of `clip` marked on its timeline becomes an example."""
        if not self.set_name and not self._ask_set_first():
            return
        names = [a.name for a in self._set.actions] if self._set else []
        action, ok = QInputDialog.getItem(self, "Teach This Part",
                                          f"{clip.name}, {start_s:.2f}–{end_s:.2f} s is an example of:",
                                          names, 0, True)
        if ok and action.strip():
            self.add_examples([NewExample(action.strip(), clip, start_s, end_s)])

    def ask_recording(self, action: str = "") -> None:
        """Record an example of `action` (the selected one, or one named now) in the Camera window."""
        if not self.set_name and not self._ask_set_first():
            return
        action = action or self._selected_action() or ""
        if not action:
            action, ok = QInputDialog.getText(self, "Record an Example", "The recording is an example of:")
            if not ok or not action.strip():
                return
        self._recording_for = action.strip()
        self.status.setText(f"Record an example of {self._recording_for} in the Camera window; it is "
                            "added here when you stop recording.")
        self.record_requested.emit(self._recording_for)

    def add_recording(self, path: Path) -> None:
        """The Camera window finished a recording: an example of the action it was asked for, if any."""
        action, self._recording_for = self._recording_for, ""
        if action and self.set_name:
            self.add_examples([NewExample(action, path)])

    def _dropped(self, paths: list[Path], action: str) -> None:
        if not self.set_name and not self._ask_set_first():
            return
        if not action:
            action, ok = QInputDialog.getText(self, "Add Clips", f"{len(paths)} clip(s) are examples of:")
            if not ok or not action.strip():
                return
        self.add_examples([NewExample(action.strip(), p) for p in paths])

    def add_examples(self, examples: list[NewExample]) -> Task | None:
        if self._busy() or not examples:
            return None
        name = self.set_name
        return self._start(lambda ctx: self.jobs.add(name, examples, ctx), "add examples",
                           f"Adding {len(examples)} example(s)…", self._added)

    def _added(self, action_set: ActionSet) -> None:
        self._new_name = ""
        self.status.setText(f"{action_set.name}: {len(action_set.actions)} actions, "
                            f"{action_set.example_count} examples. Train when ready.")
        self.reload_sets(select=action_set.name)

    def remove_selected(self) -> None:
        chosen = self.tree.selected()
        if chosen is None or self._set is None or self._busy():
            return
        try:
            remove(self._set.name, chosen[0], chosen[1])
        except BadInput as exc:
            self.status.setText(exc.message)
        self.reload_sets()

    # -- training ---------------------------------------------------------------------------
    def train(self) -> Task | None:
        if self._busy() or self._set is None:
            return None
        name = self._set.name
        return self._start(lambda ctx: self.jobs.train(name, ctx), "train", "Computing features…", self._trained)

    def _trained(self, result) -> None:  # noqa: ANN001  (teaching.TrainResult)
        report = result.report
        self.status.setText(f"Saved as the model {result.manifest.model_id} ({result.manifest.precision}); "
                            f"features {result.feature_seconds:.1f} s ({result.cache_hits} cached, "
                            f"{result.cache_misses} computed).")
        self.report_view.show_report(report)
        self.use_button.setEnabled(True)
        self.models_changed.emit()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _use(self) -> None:
        name = self.set_name
        trained = trained_precisions(name)
        if trained:
            self.use_model.emit(name, trained[0])

    # -- plumbing ---------------------------------------------------------------------------
    def _start(self, job: Job, name: str, text: str, done) -> Task:  # noqa: ANN001
        task = self._task = (Op(self.lane, job, name=name).progress(self._progress).success(done).failure(self._failed)
                             .cancelled(lambda: self.status.setText("Cancelled; the set and its model are as they were."))
                             .run())
        self.status.setText(text)
        self.progress.setRange(0, 0)
        task.ended.connect(self._ended)
        self._enable()
        return task

    def _progress(self, step: Step) -> None:
        self.progress.setRange(0, max(1, step.total))
        self.progress.setValue(step.done)
        self.progress.setFormat(f"{step.done}/{step.total}")
        self.status.setText(f"{step.what}")

    def _failed(self, failure: Failure) -> None:
        self.status.setText(failure.message)

    def _ended(self) -> None:
        self._task = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self._enable()

    def _busy(self) -> bool:
        return self._task is not None

    def _enable(self) -> None:
        busy = self._busy()
        has_set = bool(self.set_name)
        for b in (self.add_action_button, self.add_clips_button, self.record_button, self.remove_button,
                  self.new_set_button):
            b.setEnabled(not busy and (has_set or b is self.new_set_button))
        self.train_button.setEnabled(not busy and self._set is not None and len(self._set.actions) >= 2)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)  # an empty bar at rest reads as a text field
        self.set_combo.setEnabled(not busy)

    def _selected_action(self) -> str | None:
        chosen = self.tree.selected()
        return chosen[0] if chosen else None

    def _ask_set_first(self) -> bool:
        self.ask_new_set()
        return bool(self.set_name)

    def shutdown(self) -> None:
        self.cancel()
        self.lane.shutdown(last=self.jobs.release)  # the session goes on the thread that made it

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        super().closeEvent(event)


def _base_name(base: BaseModel) -> str:
    """"I3D (Kinetics-400), float": the model's display name, as the main window's picker shows it."""
    return f"{name_of(base.model_id, base.precision)}, {base.precision}"


def _report_from(data: object) -> ProbeReport | None:
    """A report saved in a taught model's metadata, rebuilt for showing."""
    if not isinstance(data, dict):
        return None
    try:
        labels = tuple(data["actions"])
        return ProbeReport(
            method=str(data["method"]), labels=labels, examples_per_action=tuple(data["examples"]), held_out=(),
            accuracy=float(data["loo_accuracy"]), accepted_accuracy=float(data["loo_accuracy_with_rejection"]),
            per_action=tuple(float(data["per_action_accuracy"][a]) for a in labels),
            confusions=tuple(tuple(r) for r in data["confusions"]["counts"]),
            threshold=float(data["rejection_threshold"]), scale=float(data["scale"]),
            train_seconds=float(data["train_seconds"]), warnings=tuple(data["warnings"]))
    except (KeyError, TypeError, ValueError):
        return None
