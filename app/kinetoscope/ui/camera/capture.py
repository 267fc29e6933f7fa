"""One capture session: a camera (or a synthetic feed), its frames, and the recorder.

Everything camera-related that can go wrong becomes one sentence for people on `message`: no
camera, access denied, the camera failing or busy, the camera unplugged, the recorder failing.
Whatever the cause, a recording in progress is stopped properly, so the part recorded so far
is finished as a playable file and still announced on `recorded`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCameraPermission, QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtMultimedia import (QAudioInput, QCamera, QCameraDevice, QMediaCaptureSession, QMediaDevices,
                                  QMediaRecorder, QVideoFrameInput, QVideoSink)

from kinetoscope.engine.media.frame_source import FrameSource
from kinetoscope.ui.camera.frames import FrameSourceFeeder, SinkFrameSource
from kinetoscope.ui.camera.record_files import choose_recording_format, recording_path

log = logging.getLogger(__name__)

NO_CAMERA = "No camera found. Connect a camera (or switch it on), then choose it here."
PERMISSION_DENIED = ("Kinetoscope is not allowed to use the camera. Allow camera access for this app in the "
                     "system's privacy settings (on Windows: Settings › Privacy & security › Camera), then "
                     "choose the camera again.")
CAMERA_FAILED = ("The camera could not be used ({detail}). Another app, such as a video call, may be "
                 "using it: close that app, then choose the camera again.")
CAMERA_LOST = "The camera was disconnected."
RECORDING_FAILED = "Recording failed ({detail})."

# A preview and 15 fps sampling need no more; bigger formats only cost conversion time.
_PREFERRED_MAX = (1280, 720)


def _camera_format(device: QCameraDevice):  # noqa: ANN202 - QCameraFormat or None
    """The camera's largest format up to 1280 x 720 that runs at 24 fps or more, if any."""
    best = None
    for fmt in device.videoFormats():
        size = fmt.resolution()
        if size.width() > _PREFERRED_MAX[0] or size.height() > _PREFERRED_MAX[1] or fmt.maxFrameRate() < 24:
            continue
        if best is None or size.width() * size.height() > best.resolution().width() * best.resolution().height():
            best = fmt
    return best


class CameraCapture(QObject):
    """The capture session behind the camera view. `frames` is the engine's frame source."""

    message = Signal(str)            # for people; "" when all is well again
    input_changed = Signal(str)      # the current input's name; "" when there is none
    recording_changed = Signal(bool)
    duration_changed = Signal(int)   # milliseconds recorded so far
    recorded = Signal(object)        # Path of a finished recording

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = QMediaCaptureSession(self)
        self.sink = QVideoSink(self)
        self.session.setVideoSink(self.sink)
        self.frames = SinkFrameSource(self.sink, self)
        self.recorder = QMediaRecorder(self)
        self.session.setRecorder(self.recorder)
        self.format = choose_recording_format()
        self.recorder.setMediaFormat(self.format.media_format)
        self.recorder.setQuality(QMediaRecorder.Quality.HighQuality)
        self.recorder.recorderStateChanged.connect(self._recorder_state)
        self.recorder.durationChanged.connect(lambda ms: self.duration_changed.emit(int(ms)))
        self.recorder.errorOccurred.connect(self.handle_recorder_error)
        self._devices = QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self._inputs_changed)
        self.camera: QCamera | None = None
        self._feeder: FrameSourceFeeder | None = None
        self._frame_input: QVideoFrameInput | None = None
        self._audio: QAudioInput | None = None
        self._path: Path | None = None
        self.last_message = ""

    # -- inputs -----------------------------------------------------------------------------

    @staticmethod
    def cameras() -> list[QCameraDevice]:
        return list(QMediaDevices.videoInputs())

    def open_camera(self, device: QCameraDevice | None = None) -> bool:
        """Show `device` (None: the system's default camera); False, with a message, if it can't."""
        self.close()
        cameras = self.cameras()
        if not cameras:
            self._say(NO_CAMERA)
            return False
        if device is None or device.isNull():
            device = QMediaDevices.defaultVideoInput()
            if device.isNull():
                device = cameras[0]
        status = self._camera_permission()
        if status == Qt.PermissionStatus.Denied:
            self._say(PERMISSION_DENIED)
            return False
        if status == Qt.PermissionStatus.Undetermined:
            # The system asks the user; we try again with the answer.
            QCoreApplication.instance().requestPermission(
                QCameraPermission(), self, lambda _perm: self._after_permission(device))
            return False
        camera = QCamera(device, self)
        fmt = _camera_format(device)
        if fmt is not None:
            camera.setCameraFormat(fmt)
        camera.errorOccurred.connect(self.handle_camera_error)
        camera.activeChanged.connect(self._active_changed)
        self.camera = camera
        self.session.setCamera(camera)
        self.frames.restart_clock()
        self._say("")
        camera.start()
        self.input_changed.emit(device.description())
        log.info("camera %s opened (%s)", device.description(),
                 f"{fmt.resolution().width()}x{fmt.resolution().height()}" if fmt is not None else "default format")
        return True

    def open_source(self, source: FrameSource, fps: float = 30.0, name: str = "Synthetic camera") -> None:
        """Use a frame source instead of a camera: the same session, preview, recorder and frames."""
        self.close()
        self._frame_input = QVideoFrameInput(self)
        self.session.setVideoFrameInput(self._frame_input)
        self.recorder.setVideoFrameRate(fps)
        self._feeder = FrameSourceFeeder(source, self._frame_input, fps, self)
        self.frames.restart_clock()
        self._say("")
        self._feeder.start()
        self.input_changed.emit(name)

    def close(self) -> None:
        """Stop recording (the file is kept), then the camera or feed."""
        self.stop_recording()
        if self.camera is not None:
            camera, self.camera = self.camera, None
            camera.activeChanged.disconnect(self._active_changed)
            camera.stop()
            self.session.setCamera(None)
            camera.deleteLater()
        if self._feeder is not None:
            feeder, self._feeder = self._feeder, None
            feeder.stop()
            self.session.setVideoFrameInput(None)
            feeder.deleteLater()
            self._frame_input = None
        self.input_changed.emit("")

    @property
    def has_input(self) -> bool:
        return self.camera is not None or self._feeder is not None

    @property
    def feeder(self) -> FrameSourceFeeder | None:
        return self._feeder

    # -- recording --------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.recorder.recorderState() != QMediaRecorder.RecorderState.StoppedState

    def start_recording(self, folder: Path | None = None) -> Path | None:
        """Record to a new timestamped file in `folder` (default: the Videos folder)."""
        if not self.has_input:
            self._say(NO_CAMERA if not self.cameras() else "Choose a camera first.")
            return None
        if self.recording:
            return self._path
        path = recording_path(folder, suffix=self.format.suffix)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._say(RECORDING_FAILED.format(detail=f"cannot create {path.parent}: {exc.strerror}"))
            return None
        self._path = path
        self.recorder.setOutputLocation(QUrl.fromLocalFile(str(path)))
        self.recorder.record()
        log.info("recording to %s", path)
        return path

    def stop_recording(self) -> None:
        """Finish the file (the recorder writes the MP4 index now); `recorded` follows."""
        if self.recording:
            self.recorder.stop()

    def set_microphone(self, enabled: bool) -> None:
        """Record sound from the default microphone, or not (the default)."""
        if enabled and self._audio is None and QMediaDevices.audioInputs():
            self._audio = QAudioInput(QMediaDevices.defaultAudioInput(), self)
            self.session.setAudioInput(self._audio)
        elif not enabled and self._audio is not None:
            self.session.setAudioInput(None)
            self._audio.deleteLater()
            self._audio = None

    @property
    def microphone_on(self) -> bool:
        return self._audio is not None

    # -- trouble ----------------------------------------------------------------------------

    def handle_camera_error(self, error: QCamera.Error, text: str = "") -> None:
        """A camera error (busy, failed, denied): say so and keep what was recorded."""
        if error == QCamera.Error.NoError:
            return
        detail = text.strip().rstrip(".") or "the system gave no reason"
        log.warning("camera error %s: %s", error, detail)
        if "permission" in detail.lower() or "access denied" in detail.lower():
            self._lost(PERMISSION_DENIED)
        else:
            self._lost(CAMERA_FAILED.format(detail=detail))

    def handle_recorder_error(self, error: QMediaRecorder.Error, text: str = "") -> None:
        if error == QMediaRecorder.Error.NoError:
            return
        log.warning("recorder error %s: %s", error, text)
        self._say(RECORDING_FAILED.format(detail=text.strip().rstrip(".") or error.name))
        self.stop_recording()

    def handle_camera_lost(self) -> None:
        """The camera went away (unplugged, or the system took it)."""
        log.warning("camera lost")
        self._lost(CAMERA_LOST)

    def _lost(self, message: str) -> None:
        was_recording = self.recording
        self.stop_recording()
        if was_recording and self._path is not None:
            message += f" The recording so far is kept: {self._path.name}."
        self._say(message)

    def _inputs_changed(self) -> None:
        if self.camera is None:
            return
        ids = {bytes(d.id()) for d in self.cameras()}
        if bytes(self.camera.cameraDevice().id()) not in ids:
            self.handle_camera_lost()

    def _active_changed(self, active: bool) -> None:
        # A camera that stops by itself was taken away or failed; errorOccurred may say why.
        if not active and self.camera is not None and not self.last_message:
            self.handle_camera_lost()

    def _after_permission(self, device: QCameraDevice) -> None:
        if self._camera_permission() == Qt.PermissionStatus.Granted:
            self.open_camera(device)
        else:
            self._say(PERMISSION_DENIED)

    @staticmethod
    def _camera_permission() -> Qt.PermissionStatus:
        app = QCoreApplication.instance()
        try:
            return app.checkPermission(QCameraPermission())
        except (AttributeError, RuntimeError):  # platforms without a permission API allow it
            return Qt.PermissionStatus.Granted

    def _recorder_state(self, state: QMediaRecorder.RecorderState) -> None:
        recording = state != QMediaRecorder.RecorderState.StoppedState
        self.recording_changed.emit(recording)
        if recording or self._path is None:
            return
        path, self._path = self._path, None
        actual = self.recorder.actualLocation()
        if actual.isLocalFile():
            path = Path(actual.toLocalFile())
        if path.exists() and path.stat().st_size > 0:
            log.info("recorded %s (%d bytes)", path, path.stat().st_size)
            self.recorded.emit(path)
        elif not self.last_message:
            self._say("Nothing was recorded: the camera sent no pictures.")

    def _say(self, text: str) -> None:
        self.last_message = text
        self.message.emit(text)
