"""The camera view: choose a camera, watch it, record clips, classify live.

Composes `CameraCapture` (session, recorder, errors), `CameraPreview` and `LivePane`. Recorded
files are announced on `recorded(path)` for the window to classify like an opened clip. What goes
wrong (the camera, the recorder, live classification) is said in the view's error banner.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtMultimedia import QMediaDevices
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QLabel, QPushButton, QSplitter, QWidget

from kinetoscope.engine.media.frame_source import FrameSource, TimedFrame
from kinetoscope.ui.camera.capture import NO_CAMERA, CameraCapture
from kinetoscope.ui.camera.preview import CameraPreview
from kinetoscope.ui.camera.live_pane import LivePane
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.layouts import buddy, column, row

log = logging.getLogger(__name__)


def _clock(ms: int) -> str:
    s = max(0, ms) // 1000
    return f"{s // 60:02d}:{s % 60:02d}"


class CameraView(QWidget):
    """Camera picker, preview and record controls on the left; live classification on the right."""

    recorded = Signal(object)  # Path of a finished recording, ready to classify

    def __init__(self, parent: QWidget | None = None, *, capture: CameraCapture | None = None) -> None:
        super().__init__(parent)
        self.capture = capture or CameraCapture(self)
        self.preview = CameraPreview()
        self.live = LivePane()
        self.recordings_folder: Path | None = None  # None: the user's Videos folder

        self.camera_combo = QComboBox(accessibleName="Camera")
        self.record_button = QPushButton("● Record", accessibleName="Record")
        self.record_button.setToolTip("Record a clip from the camera; it is classified when you stop")
        self.timer_label = QLabel("00:00", accessibleName="Recording time")
        self.timer_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mic_check = QCheckBox("Record sound")
        self.mic_check.setToolTip("Also record the default microphone (off unless you tick it)")
        self.errors = ErrorPanel(where="camera")
        self.errors.setAccessibleName("Camera message")
        self.saved_label = QLabel(wordWrap=True)
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget()
        column(row(buddy("&Camera", self.camera_combo), (self.camera_combo, 1)), self.errors, (self.preview, 1),
               row(self.record_button, self.timer_label, 1, self.mic_check), self.saved_label, parent=left,
               margins=(0, 0, 0, 0))
        live_box = QGroupBox("Live classification")
        column(self.live, parent=live_box)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(live_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        column(splitter, parent=self, margins=(8, 8, 8, 8))

        cap = self.capture
        cap.frames.start(self._on_frame)
        cap.message.connect(self._show_message)
        cap.input_changed.connect(self._input_changed)
        cap.recording_changed.connect(self._recording_changed)
        cap.duration_changed.connect(lambda ms: self.timer_label.setText(_clock(ms)))
        cap.recorded.connect(self._recorded)
        self.live.failed.connect(self._live_failed)
        self.record_button.clicked.connect(self.toggle_recording)
        self.mic_check.toggled.connect(cap.set_microphone)
        self.camera_combo.activated.connect(self._camera_chosen)
        self._devices = QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self.refresh_cameras)
        self._synthetic: str | None = None
        self.refresh_cameras()
        self._recording_changed(False)

    # -- public -----------------------------------------------------------------------------

    def set_model(self, model_path: Path | None, device: str = "cpu") -> None:
        """The model and device live mode uses (the window's current choice)."""
        self.live.set_model(model_path, device)

    def open_default_camera(self) -> bool:
        """Show the default camera, or say that there is none; True if a camera opened."""
        data = self.camera_combo.currentData()
        if isinstance(data, bytes):
            return self._open_camera_id(data)
        ok = self.capture.open_camera()
        if not ok and not self.capture.cameras():
            self.preview.show_text(NO_CAMERA)
        return ok

    def use_source(self, source: FrameSource, fps: float = 30.0, name: str = "Synthetic camera") -> None:
        """Show a frame source (a synthetic scene) instead of a camera; for demos and tests."""
        self._synthetic = name
        self.refresh_cameras()
        self.capture.open_source(source, fps, name)

    def toggle_recording(self) -> None:
        if self.capture.recording:
            self.capture.stop_recording()
        else:
            path = self.capture.start_recording(self.recordings_folder)
            if path is not None:
                self.saved_label.setText(f"Recording to {path}")

    def shutdown(self) -> None:
        """Stop live mode, recording (the file is kept) and the camera; call before closing."""
        self.live.stop()
        self.live.shutdown()
        self.capture.close()
        self.capture.frames.stop()

    # -- camera list --------------------------------------------------------------------------

    def refresh_cameras(self) -> None:
        combo = self.camera_combo
        current = combo.currentData()
        combo.clear()
        for device in QMediaDevices.videoInputs():
            combo.addItem(device.description(), bytes(device.id()))
        if self._synthetic:
            combo.addItem(self._synthetic, "synthetic")
        if combo.count() == 0:
            combo.addItem("None connected", None)  # the preview says what to do
            combo.setEnabled(False)
            if not self.capture.has_input:
                self.preview.show_text(NO_CAMERA)
        else:
            combo.setEnabled(True)
            index = combo.findData(current)
            combo.setCurrentIndex(index if index >= 0 else 0)
        self.mic_check.setEnabled(bool(QMediaDevices.audioInputs()))
        if not QMediaDevices.audioInputs():
            self.mic_check.setToolTip("No microphone found")

    def _camera_chosen(self, index: int) -> None:
        data = self.camera_combo.itemData(index)
        if isinstance(data, bytes):
            self._open_camera_id(data)

    def _open_camera_id(self, camera_id: bytes) -> bool:
        for device in QMediaDevices.videoInputs():
            if bytes(device.id()) == camera_id:
                return self.capture.open_camera(device)
        self.capture.handle_camera_lost()
        return False

    # -- reacting -----------------------------------------------------------------------------

    def _on_frame(self, frame: TimedFrame) -> None:
        self.preview.show_frame(frame.rgb)
        self.live.push(frame)

    def _show_message(self, text: str) -> None:
        # No camera is a state, not an error: the preview says so, once and calmly; the banner is
        # for what went wrong.
        if text and text != NO_CAMERA:
            self.errors.show_message(text)
        else:
            self.errors.dismiss()
        if text and not self.capture.has_input:
            self.preview.show_text(text)

    def _live_failed(self, failure: Failure) -> None:
        self.errors.show_failure(failure, "Live classification stopped.")

    def _input_changed(self, name: str) -> None:
        if not name:
            self.preview.show_text(self.capture.last_message or "No camera")
        self._update_buttons()

    def _recording_changed(self, recording: bool) -> None:
        self.record_button.setText("■ Stop" if recording else "● Record")
        self.record_button.setAccessibleName("Stop recording" if recording else "Record")
        self.timer_label.setStyleSheet("QLabel { color: #c62828; font-weight: bold; }" if recording else "")
        if not recording:
            self.timer_label.setText("00:00")
        self.mic_check.setEnabled(not recording and bool(QMediaDevices.audioInputs()))
        self.camera_combo.setEnabled(not recording and self.camera_combo.itemData(0) is not None)
        self._update_buttons()

    def _recorded(self, path: Path) -> None:
        self.saved_label.setText(f"Saved {path}")
        self.recorded.emit(path)

    def _update_buttons(self) -> None:
        self.record_button.setEnabled(self.capture.has_input or self.capture.recording)
        self.live.set_input_available(self.capture.has_input)

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden by the app (another tab), live results would only cost CPU; recording goes on.
        # A minimised window (a spontaneous hide) keeps classifying.
        if not event.spontaneous():
            self.live.stop()
        super().hideEvent(event)
