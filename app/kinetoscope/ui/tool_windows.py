"""The main window's secondary windows: models, benchmark and camera.

Each is created on first use, wired to the main window (the model chosen in the model manager is
selected and run; a recording is opened like any clip), and shut down cleanly with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from kinetoscope.engine.modelfiles.model_store import available_models

if TYPE_CHECKING:
    from kinetoscope.ui.benchmark_view import BenchmarkDialog
    from kinetoscope.ui.camera_window import CameraWindow
    from kinetoscope.ui.main_window import MainWindow
    from kinetoscope.ui.model_manager import ModelManagerPane


class ToolWindows(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._models_dialog: QDialog | None = None
        self.models: ModelManagerPane | None = None
        self.benchmark: BenchmarkDialog | None = None
        self.camera: CameraWindow | None = None
        window.controls.options_changed.connect(self._sync_camera_model)

    # -- models ---------------------------------------------------------------------------
    def open_models(self) -> None:
        if self._models_dialog is None:
            from kinetoscope.ui.model_manager import ModelManagerPane

            # Closing this window only hides it: downloads go on until the app quits.
            dialog = QDialog(self._window)
            dialog.setWindowTitle("Kinetoscope — Models")
            dialog.resize(1060, 460)
            self.models = ModelManagerPane(dialog)
            QVBoxLayout(dialog).addWidget(self.models)
            self.models.models_changed.connect(self._models_changed)
            self.models.use_model.connect(self._use_model)
            self._models_dialog = dialog
        _show(self._models_dialog)

    def _models_changed(self) -> None:
        self._window.runner.forget_results()
        self._window.controls.set_models(available_models())

    def _use_model(self, model_id: str, precision: str) -> None:
        controls = self._window.controls
        controls.set_models(available_models())
        current = controls.options()
        controls.apply(model_id, precision, current.device if current else "cpu", current.views if current else 5)
        controls.options_changed.emit()  # persist the choice and classify the current clip with it
        _show(self._window)

    # -- benchmark ------------------------------------------------------------------------
    def open_benchmark(self) -> None:
        if self.benchmark is None:
            from kinetoscope.ui.benchmark_view import BenchmarkDialog

            self.benchmark = BenchmarkDialog(self._window)
        self.benchmark.open_for(self._window.current_clip)

    # -- camera ---------------------------------------------------------------------------
    def open_camera(self) -> None:
        if self.camera is None:
            from kinetoscope.ui.camera_window import CameraWindow

            self.camera = CameraWindow(self._window)
            self.camera.view.recorded.connect(lambda path: self._window.open_paths([path]))
        self._sync_camera_model()
        _show(self.camera)

    def _sync_camera_model(self) -> None:
        if self.camera is not None:
            options = self._window.controls.options()
            self.camera.view.set_model(options.model_path if options else None, options.device if options else "cpu")

    # -- shutdown -------------------------------------------------------------------------
    def close_all(self) -> None:
        """Stop every job the secondary windows run (downloads, benchmark, camera) and close them."""
        if self.models is not None:
            self.models.shutdown()
        if self.benchmark is not None:
            self.benchmark.view.shutdown()
            self.benchmark.close()
        if self.camera is not None:
            self.camera.close()
        if self._models_dialog is not None:
            self._models_dialog.close()


def _show(widget: QWidget) -> None:
    widget.show()
    widget.raise_()
    widget.activateWindow()
