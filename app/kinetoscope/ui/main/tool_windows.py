"""The main window's secondary windows: models, benchmark, camera, teach and library.

Each is created on first use, wired to what it needs (the model chosen in the model manager is
selected in `controls` and run; a recording is opened like any clip), and shut down cleanly with
the main window. They are given the controls and callbacks they use, not the main window; the
library's results open in the main window through `show_moment`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from kinetoscope.engine.modelfiles.model_store import available_models
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.widgets.focus_ring import FocusRing
from kinetoscope.ui.widgets.placement import place_within_screen

if TYPE_CHECKING:  # imported on first use: each window costs start-up time
    from kinetoscope.ui.benchmark.view import BenchmarkDialog
    from kinetoscope.ui.camera.window import CameraWindow
    from kinetoscope.ui.library.window import LibraryWindow, OpenMoment
    from kinetoscope.ui.models.pane import ModelManagerPane
    from kinetoscope.ui.teach.window import TeachWindow


class ToolWindows(QObject):
    """The model manager, benchmark, camera and library windows, children of `window`."""

    def __init__(self, window: QWidget, controls: ControlsPane, *, current_clip: Callable[[], Path | None],
                 open_paths: Callable[[list[Path]], object], models_changed: Callable[[], None],
                 show_moment: OpenMoment | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._controls = controls
        self._current_clip = current_clip
        self._open_paths = open_paths
        self._on_models_changed = models_changed
        self._models_dialog: QDialog | None = None
        self.models: ModelManagerPane | None = None
        self.benchmark: BenchmarkDialog | None = None
        self.camera: CameraWindow | None = None
        self.teach: TeachWindow | None = None
        self.library: LibraryWindow | None = None
        self._show_moment = show_moment
        controls.options_changed.connect(self._sync_camera_model)

    # -- models ---------------------------------------------------------------------------
    def open_models(self) -> None:
        if self._models_dialog is None:
            from kinetoscope.ui.models.pane import ModelManagerPane

            # Closing this window only hides it: downloads go on until the app quits.
            dialog = QDialog(self._window)
            dialog.setWindowTitle("Models")  # the platform adds " — Kinetoscope"
            dialog.resize(1060, 460)
            self.models = ModelManagerPane(dialog)
            QVBoxLayout(dialog).addWidget(self.models)
            self.models.models_changed.connect(self._on_models_changed)
            self.models.use_model.connect(self._use_model)
            self._models_dialog = dialog
            FocusRing(dialog)
        _show(self._models_dialog, self._window)

    def _use_model(self, model_id: str, precision: str) -> None:
        controls = self._controls
        controls.set_models(available_models())
        # The device and views stay as chosen, also when no model was installed before (then
        # `options()` is None, but the boxes still hold the saved choice).
        controls.apply(model_id, precision, controls.device_combo.currentData() or "cpu", controls.views_spin.value())
        controls.options_changed.emit()  # persist the choice and classify the current clip with it
        _show(self._window)

    # -- benchmark ------------------------------------------------------------------------
    def open_benchmark(self) -> None:
        if self.benchmark is None:
            from kinetoscope.ui.benchmark.view import BenchmarkDialog

            self.benchmark = BenchmarkDialog(self._window)
            FocusRing(self.benchmark)
        was_visible = self.benchmark.isVisible()
        options = self._controls.options()
        devices = self._controls.device_combo
        npu = devices.itemText(devices.findData("npu"))
        self.benchmark.open_for(self._current_clip(), options.model_id if options else None,
                                npu_label=npu or None)
        if not was_visible:  # placed once shown: its controls' row sets how wide it is
            place_within_screen(self.benchmark, self._window)

    # -- camera ---------------------------------------------------------------------------
    def open_camera(self) -> None:
        if self.camera is None:
            from kinetoscope.ui.camera.window import CameraWindow

            self.camera = CameraWindow(self._window)
            FocusRing(self.camera)
            self.camera.view.recorded.connect(self._recorded)
        self._sync_camera_model()
        _show(self.camera, self._window)

    def _recorded(self, path: Path) -> None:
        """A finished recording opens in the clip list, and is the Teach window's example if it asked."""
        self._open_paths([path])
        if self.teach is not None:
            self.teach.add_recording(path)

    def _sync_camera_model(self) -> None:
        if self.camera is not None:
            options = self._controls.options()
            self.camera.view.set_model(options.model_path if options else None, options.device if options else "cpu")

    # -- teach ----------------------------------------------------------------------------
    def open_teach(self) -> TeachWindow:
        if self.teach is None:
            from kinetoscope.ui.teach.window import TeachWindow

            self.teach = TeachWindow(self._window)
            FocusRing(self.teach)
            self.teach.use_model.connect(self._use_model)
            self.teach.models_changed.connect(self._on_models_changed)
            self.teach.record_requested.connect(lambda _action: self.open_camera())
        _show(self.teach, self._window)
        return self.teach

    def teach_part(self, clip: Path | None, start_s: float, end_s: float) -> None:
        """A part of `clip` marked on the whole-clip timeline: offer it to the Teach window."""
        if clip is not None:
            self.open_teach().add_part(clip, start_s, end_s)
    # -- library --------------------------------------------------------------------------
    def open_library(self) -> None:
        if self.library is None:
            from kinetoscope.ui.library.window import LibraryWindow

            options = self._controls.options
            self.library = LibraryWindow(self._window, open_moment=self._show_moment or (lambda *_: None),
                                         preferred_model=lambda: options().model_id if options() else None,
                                         device=lambda: options().device if options() else "cpu")
            FocusRing(self.library)
        _show(self.library, self._window)

    # -- shutdown -------------------------------------------------------------------------
    def close_all(self) -> None:
        """Stop every job the secondary windows run (downloads, benchmark, camera, indexing) and close them."""
        for jobs in (self.models, self.benchmark and self.benchmark.view, self.teach, self.library):
            if jobs is not None:
                jobs.shutdown()
        for window in (self.benchmark, self.camera, self.teach, self.library, self._models_dialog):
            if window is not None:
                window.close()


def _show(widget: QWidget, over: QWidget | None = None) -> None:
    """Show `widget`; coming out of hiding, it is placed within the screen that holds `over`."""
    if over is not None and not widget.isVisible():
        place_within_screen(widget, over)
    widget.show()
    widget.raise_()
    widget.activateWindow()
