"""Crashes are logged and shown once; Qt's messages reach the log; the layers stay apart."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.ui.main.about import collect_versions
from kinetoscope.ui.crash_guard import CrashGuard, route_qt_messages_to_log


def _raise_in_thread(message: str) -> None:
    def boom() -> None:
        raise RuntimeError(message)

    thread = threading.Thread(target=boom, name="worker-under-test")
    thread.start()
    thread.join()


def test_uncaught_thread_exceptions_are_logged_and_shown_once(qapp: QApplication,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    guard = CrashGuard()
    shown: list[tuple[str, str]] = []
    guard.crashed.connect(lambda message, detail: shown.append((message, detail)))
    guard.install()
    try:
        with caplog.at_level(logging.CRITICAL, logger="kinetoscope.crash"):
            for _ in range(3):
                _raise_in_thread("disk on fire")
            _raise_in_thread("another thing")
            wait_until(qapp, lambda: len(shown) >= 2, timeout_s=5, what="the crash reports")
            qapp.processEvents()
    finally:
        guard.uninstall()
    assert guard.count == 4
    assert [m for m, _ in shown if "disk on fire" in m] and len(shown) == 2  # the repeat was not re-shown
    assert "Traceback" in shown[0][1] and "boom" in shown[0][1]
    assert sum("worker-under-test" in r.getMessage() for r in caplog.records) == 4
    assert threading.excepthook is not guard._on_thread_exception


def test_the_window_shows_an_unexpected_error_in_its_banner(qapp: QApplication, make_window) -> None:
    window = make_window()
    guard = CrashGuard()
    guard.crashed.connect(window.errors.show_message)
    guard.install()
    try:
        _raise_in_thread("boom in a thread")
        wait_until(qapp, lambda: window.errors.isVisible(), timeout_s=5, what="the banner")
    finally:
        guard.uninstall()
    assert "boom in a thread" in window.errors.message
    assert "RuntimeError" in window.errors.detail


def test_qt_messages_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    route_qt_messages_to_log()
    with caplog.at_level(logging.WARNING, logger="qt"):
        qWarning("a message from Qt")
    assert any("a message from Qt" in r.getMessage() and r.name == "qt" for r in caplog.records)


def test_about_lists_the_versions_people_ask_for() -> None:
    versions = dict(collect_versions())
    for key in ("Kinetoscope", "onnxruntime", "onnxruntime-qnn", "QAIRT (QNN SDK)", "Qt", "FFmpeg"):
        assert versions[key] and versions[key] != "unknown", key
    assert "libavcodec" in versions["FFmpeg"]


def test_the_cli_and_the_engine_never_import_qt() -> None:
    code = ("import sys, kinetoscope.cli.main, kinetoscope.cli.classify_cmd, kinetoscope.cli.gui_cmd, kinetoscope.settings, "
            "kinetoscope.engine.inference.classify, kinetoscope.engine.inference.session; "
            "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))); "
            "sys.exit(f'Qt imported: {qt}' if qt else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_exception_in_a_qt_override_is_reported_and_qt_gets_the_default(qapp: QApplication) -> None:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QWidget

    from kinetoscope.ui.crash_guard import survives

    class Filter(QObject):
        @survives(default=False)
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Resize:
                raise ValueError("filter broke")
            return False

    guard = CrashGuard()
    shown: list[str] = []
    guard.crashed.connect(lambda message, _detail: shown.append(message))
    guard.install()
    widget, spy = QWidget(), Filter()
    widget.installEventFilter(spy)
    try:
        widget.resize(123, 45)
        widget.show()
        wait_until(qapp, lambda: shown, timeout_s=5, what="the report")
    finally:
        guard.uninstall()
        widget.close()
    assert widget.size().width() == 123  # the resize went through: Qt got False, "not filtered"
    assert guard.count >= 1 and "filter broke" in shown[0]


CRASHING_APP = """
import ctypes, sys
from pathlib import Path
from kinetoscope.ui.crash_guard import CrashGuard
CrashGuard().install(Path(sys.argv[1]))
ctypes.string_at(0)  # a segfault, as a deleted C++ object touched from C++ would give
"""


def test_a_fatal_signal_leaves_its_stacks_for_the_next_start(tmp_path) -> None:
    from kinetoscope.ui.crash_guard import CRASH_FILE, last_crash

    proc = subprocess.run([sys.executable, "-c", CRASHING_APP, str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    report = last_crash(tmp_path)
    assert "Segmentation fault" in report and "string_at" in report
    assert not (tmp_path / CRASH_FILE).exists()  # said once: moved aside
    assert last_crash(tmp_path) == ""
    guard = CrashGuard()
    guard.install(tmp_path)
    guard.uninstall()
    assert last_crash(tmp_path) == "" and not (tmp_path / CRASH_FILE).exists()  # a normal end leaves none
