"""Crashes are logged and shown once; Qt's messages reach the log; the layers stay apart."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication

from conftest import wait_until
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
    guard.crashed.connect(window.show_unexpected_error)
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
    code = ("import sys, kinetoscope.cli.main, kinetoscope.cli.commands, kinetoscope.settings, "
            "kinetoscope.engine.inference.classify, kinetoscope.engine.inference.session; "
            "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))); "
            "sys.exit(f'Qt imported: {qt}' if qt else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
