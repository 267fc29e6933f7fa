"""The camera view in a window of its own, opened from the main window's Camera menu.

Opening it starts the default camera (or says there is none); closing it stops live mode, any
recording (the file is kept and still announced) and the camera.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kinetoscope.ui.camera.view import CameraView


class CameraWindow(QWidget):
    """A top-level window (owned by `parent`) around one `CameraView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Camera")  # the platform adds " — Kinetoscope"
        self.view = CameraView(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(1280, 780)
        # As the benchmark (a dialog) and the platform's other tool windows close.
        # Ctrl+W is named as well: some platforms' standard Close key is only Ctrl+F4.
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Close)
        keys += [k for k in (QKeySequence("Ctrl+W"), QKeySequence(Qt.Key.Key_Escape)) if k not in keys]
        for key in keys:
            QShortcut(key, self, self.close)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous() and not self.view.capture.has_input:
            self.view.open_default_camera()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.view.shutdown()
        super().closeEvent(event)
