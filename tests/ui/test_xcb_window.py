"""The real window on a real X display: Xvfb and Qt's xcb platform plugin, as on a Linux desktop.

Every other UI test uses the offscreen platform, which needs none of the X libraries; this one fails
when a library the xcb plugin loads is missing (the Makefile's QT_DEBS) or the window cannot open.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from locations import REPO, SAMPLES

SAMPLE = SAMPLES / "sample_arm_wrestling.mp4"  # what `make run` opens, with the default model
SCREEN = (1600, 1000)

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None,
                                reason="Xvfb is not installed (make test installs it where apt-get can)")

# Opens the window as `kinetoscope gui` does, waits for the sample's result, then grabs the X
# server's own pixels (the root window), not a widget rendering.
DRIVER = r"""
import json, sys, time
from kinetoscope.ui.app import application
from kinetoscope.ui.main.window import MainWindow
app = application()
window = MainWindow()
window.resize(1360, 860)
window.show()
outcome = []
window.runner.finished.connect(lambda clip, result: outcome.append(result.top5[0].label))
window.runner.failed.connect(lambda clip, message, detail: outcome.append("failed: " + message))
window.open_paths([sys.argv[1]])
deadline = time.monotonic() + 120
while not outcome and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
settle = time.monotonic() + 1.0
while time.monotonic() < settle:
    app.processEvents()
    time.sleep(0.02)
shot = app.primaryScreen().grabWindow(0)
saved = shot.save(sys.argv[2])
handle = window.windowHandle()
print(json.dumps({"platform": app.platformName(), "visible": window.isVisible(),
                  "exposed": bool(handle and handle.isExposed()), "top1": outcome[0] if outcome else None,
                  "saved": saved, "shot": [shot.width(), shot.height()]}))
window.close()
"""


@pytest.fixture
def display(tmp_path):
    """A fresh Xvfb server; yields its DISPLAY value."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def xcb_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_DEBUG_PLUGINS="0")
    return env


def test_the_window_opens_on_xcb_and_classifies_the_sample(display, tmp_path):
    shot = tmp_path / "xcb_window.png"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(SAMPLE), str(shot)], capture_output=True, text=True,
                          timeout=300, env=xcb_env(display), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb"
    assert report["visible"] and report["exposed"]
    assert report["top1"] == "arm wrestling", report
    assert report["saved"] and report["shot"] == list(SCREEN) and shot.stat().st_size > 10_000
    keep = os.environ.get("KINETOSCOPE_XCB_SHOT")
    if keep:
        shutil.copy(shot, keep)


def mapped_windows(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, timeout=10,
                          env={**os.environ, "DISPLAY": display}).stdout


@pytest.mark.skipif(shutil.which("xwininfo") is None, reason="xwininfo (x11-utils) is not installed")
def test_make_run_command_opens_a_window_and_classifies(display, home):
    """What `make run` runs: `python -m kinetoscope gui SAMPLE`, as a separate process."""
    app = subprocess.Popen([sys.executable, "-m", "kinetoscope", "gui", str(SAMPLE)], env=xcb_env(display),
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log_file = home / "logs" / "kinetoscope.log"
    try:
        deadline = time.monotonic() + 120
        titled = done = False
        while time.monotonic() < deadline and not (titled and done):
            assert app.poll() is None, app.communicate()[1]
            titled = titled or '"Kinetoscope' in mapped_windows(display)
            done = done or (log_file.is_file() and " done: " in log_file.read_text(encoding="utf-8"))
            time.sleep(0.5)
        assert titled, "no Kinetoscope window was mapped on the X display"
        assert done, log_file.read_text(encoding="utf-8") if log_file.is_file() else "no log file"
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            _, stderr = app.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            _, stderr = app.communicate()
    assert "Could not load the Qt platform plugin" not in stderr
