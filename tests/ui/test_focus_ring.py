"""The focus ring follows controls that come and go: a deleted one is never touched again.

The Models window replaces a row's buttons when a download fails; the ring was following the
focused Download button, touched it after its deletion from its `eventFilter`, which Qt calls from
C++, and the process died (exit 139) at the next relayout (Import… → Zip file…).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QPushButton, QVBoxLayout, QWidget

from kinetoscope.ui.widgets.focus_ring import FocusRing


def _settle(qapp: QApplication) -> None:
    for _ in range(5):
        qapp.processEvents()


def test_a_focused_control_deleted_under_the_ring_is_forgotten(qapp: QApplication, qtbot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    cell = QWidget()
    QVBoxLayout(cell).addWidget(button := QPushButton("Download"))
    other = QPushButton("Import…")
    layout.addWidget(cell)
    layout.addWidget(other)
    ring = FocusRing(window)
    window.resize(400, 200)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    button.setFocus()
    _settle(qapp)
    assert ring.target() is button
    # As QTableWidget.removeCellWidget does: the cell and its focused button go later.
    cell.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    _settle(qapp)
    assert ring.target() is None
    # pytest-qt fails the test on any exception raised in these Qt callbacks.
    window.resize(420, 260)  # the ring's filters see moves and resizes
    other.setFocus()
    _settle(qapp)
    assert ring.target() is other
    window.resize(400, 200)
    _settle(qapp)
    assert ring.target() is other and ring.isVisible()


# The steps, offscreen: the failed download's row rebuild deletes the focused button, then
# an import relayouts the window from inside a Python call.
DRIVER = r"""
import sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from kinetoscope.ui.app import application
from kinetoscope.ui.crash_guard import CrashGuard
from kinetoscope.ui.main.window import MainWindow

app = application()
guard = CrashGuard()
guard.install()
window = MainWindow()
window.show()
def until(cond, s=30.0):
    end = time.monotonic() + s
    while not cond() and time.monotonic() < end:
        app.processEvents()
        # What app.exec() does between events, and processEvents() from here does not.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        time.sleep(0.01)
    return cond()
window.tools.open_models()
pane = window.tools.models
assert until(pane.is_ready), "the catalog did not load"
key = ("resnet_3d", "float")
button = pane.action_button(key, "Download")
button.window().activateWindow()
button.setFocus()  # where a click leaves it on a desktop (offscreen, the click alone may not)
QTest.mouseClick(button, Qt.MouseButton.LeftButton)
assert until(lambda: key not in pane._downloads and pane.row_message(key)), "the download did not fail"
until(lambda: False, 0.5)
pane.import_path(Path(sys.argv[1]))
assert until(lambda: "not a zip" in pane.message()), pane.message()
until(lambda: False, 0.5)
print("uncaught", guard.count)
window.close()
"""


def test_failed_download_then_import_does_not_crash(tmp_path: Path, home: Path) -> None:
    catalog = tmp_path / "catalog.json"
    # A catalog whose downloads are refused at once, as when offline.
    catalog.write_text('{"format": 1, "release": "v0.47.0", "url_template": '
                       '"http://127.0.0.1:9/{id}/{release}/{id}-onnx-{precision}.zip", '
                       '"models": [{"id": "resnet_3d", "name": "ResNet 3D", "precisions": {"float": {}}}]}')
    not_a_zip = tmp_path / "some.zip"
    not_a_zip.write_text("not a zip")
    env = {**os.environ, "KINETOSCOPE_CATALOG": str(catalog), "KINETOSCOPE_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(not_a_zip)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "uncaught 0", proc.stderr[-3000:]
    assert not list((home / "downloads").glob("*.lock"))  # a failed download leaves no lock file
