"""The camera view in a window of its own, opened from the main window's Camera menu.

Opening it starts the default camera (or says there is none); closing it stops live mode, any
recording (the file is kept and still announced) and the camera.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from kinetoscope.ui.camera.view import CameraView
from kinetoscope.ui.widgets.layouts import column
from kinetoscope.ui.widgets.placement import close_keys


class CameraWindow(QWidget):
    """A top-level window (owned by `parent`) around one `CameraView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Camera")  # the platform adds " — Kinetoscope"
        self.view = CameraView(self)
        column(self.view, parent=self, margins=(0, 0, 0, 0))
        self.resize(1280, 780)
        close_keys(self)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous() and not self.view.capture.has_input:
            self.view.open_default_camera()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.view.shutdown()
        super().closeEvent(event)
