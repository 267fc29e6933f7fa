"""Recording and camera trouble, without a camera: a synthetic scene travels Qt's own capture
session (QVideoFrameInput -> QMediaCaptureSession -> QVideoSink + QMediaRecorder), and camera
errors are simulated by calling the handlers with Qt's error values."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import (QCamera, QMediaDevices, QMediaFormat, QMediaRecorder, QtVideo, QVideoFrame,
                                  QVideoFrameFormat)

from helpers import wait_until
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.inference.classify import classify_clip
from kinetoscope.engine.media.frame_source import SyntheticSource
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID, resolve_model
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.video import probe
from kinetoscope.ui.camera.capture import CAMERA_FAILED, CAMERA_LOST, NO_CAMERA, PERMISSION_DENIED
from kinetoscope.ui.camera.frames import upright_rgb
from kinetoscope.ui.camera.view import CameraView
from kinetoscope.ui.camera.record_files import choose_recording_format, recording_path, recordings_dir


@pytest.fixture
def view(make_camera_view):
    return make_camera_view(1100, 700)


def _run(qapp, seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.003)


def _record(qapp, view: CameraView, seconds: float) -> None:
    view.toggle_recording()
    assert view.capture.recording
    wait_until(qapp, lambda: view.capture.recorder.duration() > 0, 10, "the recorder to start")
    _run(qapp, seconds)
    assert view.timer_label.text() != "00:00" or seconds < 1  # the visible timer runs


# -- files and formats --------------------------------------------------------------------------


def test_recordings_go_to_timestamped_mp4_files_in_the_videos_folder(home):
    assert recordings_dir() == home / "Videos"  # redirected by KINETOSCOPE_HOME in tests
    path = recording_path(now=datetime(2025, 1, 31, 14, 5, 9))
    assert path == home / "Videos" / "Kinetoscope 2025-01-31 14-05-09.mp4"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    assert recording_path(now=datetime(2025, 1, 31, 14, 5, 9)).name == "Kinetoscope 2025-01-31 14-05-09 (2).mp4"


def test_h264_is_chosen_whenever_this_qt_can_encode_it(qapp):
    chosen = choose_recording_format()
    assert chosen.media_format.fileFormat() == QMediaFormat.FileFormat.MPEG4
    offered = QMediaFormat(QMediaFormat.FileFormat.MPEG4).supportedVideoCodecs(QMediaFormat.ConversionMode.Encode)
    if QMediaFormat.VideoCodec.H264 in offered:
        assert chosen.media_format.videoCodec() == QMediaFormat.VideoCodec.H264
    else:  # Linux LGPL wheels: no H.264 encoder; a codec every player and PyAV reads instead
        assert chosen.media_format.videoCodec() in offered


# -- recording a synthetic camera ---------------------------------------------------------------


def test_recording_a_synthetic_camera_gives_a_playable_clip_that_classifies(qapp, view, demo_model, home):
    got: list[Path] = []
    view.recorded.connect(got.append)
    assert not view.capture.microphone_on and not view.mic_check.isChecked()  # microphone off
    view.use_source(SyntheticSource("moving left", width=320, height=240, fps=30), 30)
    _record(qapp, view, 2.5)
    view.toggle_recording()
    wait_until(qapp, lambda: got, 15, "the recording to be finished")
    path = got[0]
    assert path.parent == home / "Videos"
    assert re.fullmatch(r"Kinetoscope \d{4}-\d\d-\d\d \d\d-\d\d-\d\d\.mp4", path.name)
    info = probe(path)
    assert info.frame_count >= 30 and info.duration_s >= 1.5
    result = classify_clip(path, ModelSession(open_bundle(resolve_model(demo_model))))
    assert len(result.views) == 5
    if sorted(bundled_data.models_dir().glob(f"{DEMO_MODEL_ID}-onnx-*.zip")):
        assert result.top5[0].label == "moving left", result.top5


@pytest.mark.parametrize("trouble", ["unplugged", "camera error"])
def test_trouble_mid_recording_keeps_what_was_recorded_as_a_playable_file(qapp, view, trouble):
    got: list[Path] = []
    view.recorded.connect(got.append)
    source = SyntheticSource("moving up", width=320, height=240, fps=30)
    view.use_source(source, 30)
    _record(qapp, view, 1.2)
    source.stop()  # the picture stops, as when a camera goes away
    if trouble == "unplugged":
        view.capture.handle_camera_lost()
        expected = CAMERA_LOST
    else:
        view.capture.handle_camera_error(QCamera.Error.CameraError, "Device or resource busy")
        expected = CAMERA_FAILED.format(detail="Device or resource busy")
    wait_until(qapp, lambda: got, 15, "the partial recording to be finished")
    assert view.errors.message.startswith(expected)
    assert "recording so far is kept" in view.errors.message
    info = probe(got[0])
    assert info.frame_count >= 15  # about a second of video survived, and it decodes
    assert not view.capture.recording and view.record_button.text() == "● Record"


# -- no camera, errors --------------------------------------------------------------------------


def test_no_camera_says_so(qapp, view):
    assert QMediaDevices.videoInputs() == []  # this machine has none
    assert view.open_default_camera() is False
    # A state, not an error: the preview says it, the banner stays away.
    assert view.preview.accessibleDescription() == NO_CAMERA and view.errors.message == ""
    assert view.camera_combo.currentText() == "None connected" and not view.camera_combo.isEnabled()
    assert not view.record_button.isEnabled()
    view.toggle_recording()  # even if pressed somehow: a message, not a crash
    assert not view.capture.recording


@pytest.mark.parametrize(("text", "expected"), [
    ("Camera is in use by another application", CAMERA_FAILED.format(detail="Camera is in use by another application")),
    ("", CAMERA_FAILED.format(detail="the system gave no reason")),
    ("Access denied by the system", PERMISSION_DENIED),
])
def test_camera_errors_become_sentences(qapp, view, text, expected):
    view.capture.handle_camera_error(QCamera.Error.CameraError, text)
    assert view.errors.message == expected
    view.capture.handle_camera_error(QCamera.Error.NoError, "")  # not an error: nothing changes
    assert view.errors.message == expected


def test_recorder_errors_are_reported(qapp, view):
    view.capture.handle_recorder_error(QMediaRecorder.Error.OutOfSpaceError, "No space left on device")
    assert view.errors.message == "Recording failed (No space left on device)."


# -- frames the right way round -----------------------------------------------------------------


def _marked_frame(rotation: int = 0, mirrored: bool = False) -> QVideoFrame:
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0:5, 0:5, 0] = 255  # a red mark at the top left of the sensor's picture
    image = QImage(rgba.data, 40, 20, 160, QImage.Format.Format_RGBX8888).copy()
    frame = QVideoFrame(image)
    frame.setRotation(QtVideo.Rotation(rotation))
    frame.setMirrored(mirrored)
    return frame


def _mark(rgb: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(rgb[..., 0] > 128)
    return round(float(ys.mean())), round(float(xs.mean()))


@pytest.mark.parametrize(("rotation", "mirrored", "shape", "mark"), [
    (0, False, (20, 40), (2, 2)),
    (0, True, (20, 40), (2, 37)),      # mirrored: the mark moves to the right
    (90, False, (40, 20), (2, 17)),    # turned clockwise: top left -> top right
    (180, False, (20, 40), (17, 37)),
    (270, False, (40, 20), (37, 2)),
    (90, True, (40, 20), (2, 2)),      # turned, then mirrored (Qt's order)
])
def test_frames_reach_the_engine_upright(qapp, rotation, mirrored, shape, mark):
    rgb = upright_rgb(_marked_frame(rotation, mirrored))
    assert rgb.shape[:2] == shape
    assert _mark(rgb) == mark


def test_bottom_up_surfaces_are_turned_upright_too(qapp):
    fmt = QVideoFrameFormat(QSize(40, 20), QVideoFrameFormat.PixelFormat.Format_RGBX8888)
    fmt.setScanLineDirection(QVideoFrameFormat.Direction.BottomToTop)
    frame = QVideoFrame(fmt)
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    stride = frame.bytesPerLine(0)
    rows = np.frombuffer(memoryview(frame.bits(0)), np.uint8, count=stride * 20).reshape(20, stride)
    rows[:] = 0
    rows[:, 3::4] = 255  # opaque
    rows[0:5, 0:20:4] = 255  # first rows in memory are the bottom of the picture
    frame.unmap()
    assert _mark(upright_rgb(frame)) == (17, 2)


def test_a_busy_gui_thread_gets_the_newest_frame_not_a_queue(qapp, view):
    sink = view.capture.sink
    seen: list[int] = []
    view.capture.frames.start(lambda f: seen.append(f.size[0]))
    for k in range(5):  # five frames arrive before the GUI thread runs again
        rgba = np.zeros((8, 8 + 2 * k, 4), np.uint8)
        sink.setVideoFrame(QVideoFrame(QImage(rgba.data, 8 + 2 * k, 8, 4 * (8 + 2 * k),
                                              QImage.Format.Format_RGBX8888).copy()))
    _run(qapp, 0.05)
    assert seen == [16]  # the newest (widest) frame only
    assert view.capture.frames.frames_dropped == 4


def test_the_camera_window_opens_the_default_camera_and_closes_cleanly(qapp):
    from kinetoscope.ui.camera.window import CameraWindow

    window = CameraWindow()
    window.show()
    qapp.processEvents()
    assert window.view.preview.accessibleDescription() == NO_CAMERA  # none here: said at once
    window.view.use_source(SyntheticSource("still", width=160, height=120, fps=30), 30)
    feeder = window.view.capture.feeder
    window.close()
    assert not window.view.capture.has_input and not feeder.source.running
    window.deleteLater()
    qapp.processEvents()
