"""The window under a real window manager: Xvfb, openbox, Qt's xcb platform, mouse and keys by xdotool.

The offscreen platform has no window manager: no real activation, focus handed over as windows
close, menus and file dialogs driven by a person. Here the issue-21 path that killed the process
(exit 139) is walked as a person would: Tools ▸ Models, Download while offline (it fails), then
Import… → Zip file…, type a file name into the dialog, Return.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "openbox", "xdotool")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="Xvfb, openbox and xdotool are needed (make test installs them where apt-get can)")
SCREEN = (1600, 1000)

# The app with its event loop running (as `kinetoscope gui` runs it), printing where the next
# control to click is; the test moves the real pointer there.
DRIVER = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QToolButton
from kinetoscope.ui.app import application
from kinetoscope.ui.crash_guard import CrashGuard
from kinetoscope.ui.main.window import MainWindow

app = application()
guard = CrashGuard()
guard.install()
window = MainWindow()
window.resize(1200, 800)
window.show()
key = ("resnet_3d", "float")
state = {"step": "start", "download focused": False}

def focus_changed(_old, new):
    if new is not None and getattr(new, "text", lambda: "")() == "Download":
        state["download focused"] = True

app.focusChanged.connect(focus_changed)

def say(step, widget=None, **extra):
    state["step"] = step
    if widget is not None:
        centre = widget.mapToGlobal(widget.rect().center())
        extra.update(x=centre.x(), y=centre.y())
    print(json.dumps({"step": step, **extra}), flush=True)

def tick():
    pane = window.tools.models
    step = state["step"]
    if step == "start" and window.isActiveWindow():
        window.tools.open_models()
        say("opened")
    elif step == "opened" and pane.is_ready() and pane.isActiveWindow():
        say("click download", pane.action_button(key, "Download"))
    elif step == "click download" and key not in pane._downloads and pane.row_message(key):
        say("click import", pane.findChild(QToolButton), download_focused=state["download focused"])
    elif step == "click import" and isinstance(app.activeModalWidget(), QFileDialog):
        say("type a name")
    elif step == "type a name" and "not a zip" in pane.message():
        say("imported", uncaught=guard.count, banner=window.errors.message)
        window.close()
        app.quit()
        return
    QTimer.singleShot(100, tick)

QTimer.singleShot(100, tick)
sys.exit(app.exec())
"""


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb server with openbox managing its windows; yields its DISPLAY value."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    wm = None
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        display = f":{number}"
        wm = subprocess.Popen(["openbox", "--sm-disable"], env={**os.environ, "DISPLAY": display},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        yield display
    finally:
        if wm is not None:
            wm.terminate()
            wm.wait(10)
        server.terminate()
        server.wait(10)


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=30, env={**os.environ, "DISPLAY": display})


def test_failed_download_then_import_a_zip_by_mouse_and_keyboard(desktop: str, tmp_path: Path, home: Path) -> None:
    catalog = tmp_path / "catalog.json"
    # Downloads are refused at once, as when offline.
    catalog.write_text('{"format": 1, "release": "v0.47.0", "url_template": '
                       '"http://127.0.0.1:9/{id}/{release}/{id}-onnx-{precision}.zip", '
                       '"models": [{"id": "resnet_3d", "name": "ResNet 3D", "precisions": {"float": {}}}]}')
    not_a_zip = tmp_path / "some.zip"
    not_a_zip.write_text("not a zip")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=desktop, QT_QPA_PLATFORM="xcb", KINETOSCOPE_CATALOG=str(catalog), KINETOSCOPE_HOME=str(home))
    app = subprocess.Popen([sys.executable, "-c", DRIVER], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    steps: list[dict] = []
    try:
        assert app.stdout is not None
        for line in app.stdout:
            step = json.loads(line)
            steps.append(step)
            if step["step"] in ("click download", "click import"):
                xdotool(desktop, "mousemove", str(step["x"]), str(step["y"]), "click", "1")
                if step["step"] == "click import":
                    time.sleep(0.5)
                    xdotool(desktop, "key", "Down", "Return")  # the menu's first item: Zip file…
            elif step["step"] == "type a name":
                time.sleep(0.5)
                xdotool(desktop, "type", "--delay", "20", str(not_a_zip))
                xdotool(desktop, "key", "Return")
            elif step["step"] == "imported":
                break
        returncode = app.wait(60)
    finally:
        if app.poll() is None:
            app.kill()
        stderr = app.stderr.read() if app.stderr else ""
    assert returncode == 0, f"exit {returncode}: {stderr[-3000:]}"
    assert [s["step"] for s in steps] == ["opened", "click download", "click import", "type a name", "imported"]
    assert steps[2]["download_focused"]  # the click gave the Download button the focus, as on a desktop
    assert steps[-1]["uncaught"] == 0 and "Something went wrong" not in steps[-1]["banner"], steps[-1]
    assert not list((home / "downloads").glob("*.lock"))
