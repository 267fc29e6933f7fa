"""Each tool window opened, a button in it focused, closed, then the focus moved on: nothing breaks.
Tool windows open within the screen that holds the main window; without a camera the camera
window says so once, calmly."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QRect, Qt
from PySide6.QtMultimedia import QMediaDevices
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from helpers import wait_until
from kinetoscope.ui.camera.capture import NO_CAMERA
from kinetoscope.ui.crash_guard import CrashGuard
from kinetoscope.ui.widgets.focus_ring import FocusRing


def _settle(qapp: QApplication) -> None:
    for _ in range(5):
        qapp.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as the event loop does


def _tool(window, name: str):  # noqa: ANN001, ANN202
    return {"models": lambda: window.tools._models_dialog, "benchmark": lambda: window.tools.benchmark,
            "camera": lambda: window.tools.camera}[name]()


@pytest.mark.parametrize("name", ["models", "benchmark", "camera"])
def test_a_tool_window_closed_with_a_focused_button_then_focus_moves(qapp: QApplication, make_window,
                                                                     name: str) -> None:
    window = make_window(views=1)
    guard = CrashGuard()
    guard.install()
    try:
        for _ in range(2):  # and once more: the second opening reuses the window
            getattr(window.actions_, name).trigger()
            tool = _tool(window, name)
            wait_until(qapp, tool.isVisible, what=name)
            if name == "models":
                wait_until(qapp, window.tools.models.is_ready, what="the models list")
            tool.activateWindow()
            wait_until(qapp, lambda: qapp.activeWindow() is tool, timeout_s=5, what="the tool window active")
            # A button where there is one enabled (without a camera, the camera window's are not).
            focusable = [w for w in tool.findChildren(QWidget) if w.isEnabled() and w.isVisible()
                         and w.focusPolicy() & Qt.FocusPolicy.TabFocus and not isinstance(w, FocusRing)]
            button = next((w for w in focusable if isinstance(w, QPushButton)), focusable[0])
            button.setFocus()
            _settle(qapp)
            assert tool.findChild(FocusRing).target() is button
            tool.close()
            _settle(qapp)
            window.activateWindow()
            wait_until(qapp, lambda: qapp.activeWindow() is window, timeout_s=5, what="the main window active")
            window.queue.setFocus()
            _settle(qapp)
            window.resize(window.width() + 10, window.height())  # the rings' filters see moves and resizes
            _settle(qapp)
            assert window.focus_ring.target() is window.queue
            assert tool.findChild(FocusRing).target() is None
    finally:
        guard.uninstall()
    assert guard.count == 0
    assert "Something went wrong" not in window.errors.message


@pytest.mark.parametrize("name", ["models", "benchmark", "camera"])
def test_tool_windows_open_within_the_main_windows_screen(qapp: QApplication, make_window, name: str) -> None:
    window = make_window(views=1)
    area = window.screen().availableGeometry()
    window.move(area.right() - window.width() // 2, area.bottom() - 300)  # far down and right
    _settle(qapp)
    getattr(window.actions_, name).trigger()
    tool = _tool(window, name)
    wait_until(qapp, tool.isVisible, what=name)
    _settle(qapp)
    frame = QRect(tool.pos(), tool.size())
    assert area.contains(frame), (area, frame)
    tool.close()


def test_without_a_camera_the_window_says_so_once_and_calmly(qapp: QApplication, make_window) -> None:
    if QMediaDevices.videoInputs():
        pytest.skip("this machine has a camera")
    window = make_window(views=1)
    window.actions_.camera.trigger()
    camera = window.tools.camera
    wait_until(qapp, camera.isVisible, what="the camera window")
    _settle(qapp)
    view = camera.view
    assert view.errors.isHidden()  # not an error: no banner, no Open Log Folder button to focus
    assert view.preview.accessibleDescription() == NO_CAMERA
    texts = [view.camera_combo.currentText(), view.live.status.text(), view.preview.accessibleDescription()]
    assert sum("No camera" in t for t in texts) == 1, texts
    focused = qapp.focusWidget()
    assert focused is None or focused.window() is not camera or focused.isEnabled()
    assert not (isinstance(focused, QPushButton) and "log" in focused.text().lower())
    camera.close()
