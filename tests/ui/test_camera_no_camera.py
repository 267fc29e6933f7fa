"""The camera window without a camera: nothing to start live on; Esc and Ctrl+W close it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaDevices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.engine.media.frame_source import SyntheticSource


def test_start_live_needs_a_camera(qapp: QApplication, make_window) -> None:
    if QMediaDevices.videoInputs():
        pytest.skip("this machine has a camera")
    window = make_window(views=1)
    window.actions_.camera.trigger()
    view = window.tools.camera.view
    assert view.camera_combo.currentText() == "None connected"
    start = view.live.start_button
    assert not start.isEnabled()  # a model is chosen, but there are no frames to classify
    assert "camera" in start.toolTip().lower()
    assert "Start Live" not in view.live.status.text()  # not "Ready: press Start Live."

    view.use_source(SyntheticSource("moving left", width=160, height=120, fps=15), 15)
    assert start.isEnabled()
    view.capture.close()  # the input goes: live mode has nothing to wait for
    assert not start.isEnabled()
    window.tools.camera.close()


@pytest.mark.parametrize("key, modifier", [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                                           (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)])
def test_escape_and_ctrl_w_close_the_camera_window(qapp: QApplication, make_window, key, modifier) -> None:
    window = make_window(views=1)
    window.actions_.camera.trigger()
    camera = window.tools.camera
    camera.activateWindow()
    wait_until(qapp, lambda: QApplication.activeWindow() is camera, timeout_s=5, what="the camera window")
    QTest.keyClick(camera.view.camera_combo, key, modifier)
    assert not camera.isVisible()
