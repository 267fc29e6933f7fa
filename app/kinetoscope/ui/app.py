"""Starting the desktop app: logging, one instance per user, crash reporting, the main window."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from kinetoscope import __version__
from kinetoscope.engine.logs import setup_file_logging
from kinetoscope.ui.crash_guard import CrashGuard, last_crash, route_qt_messages_to_log
from kinetoscope.ui.main.window import MainWindow
from kinetoscope.ui.single_instance import InstanceServer, hand_off

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The process's QApplication, created once with the app's names and high-DPI policy."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (125 %, 150 %) as they are, rather than rounded: crisp text on laptops.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0]])
    app.setApplicationName("Kinetoscope")
    app.setApplicationDisplayName("Kinetoscope")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Kinetoscope")
    app.setDesktopFileName("kinetoscope")
    return app


def bring_to_front(window: MainWindow) -> None:
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()


def freeze_startup_objects() -> None:
    """Move every object alive now out of the garbage collector's reach (`gc.freeze`)."""
    gc.collect()
    gc.freeze()


def run_app(clips: Sequence[str] = ()) -> int:
    """Open the window on `clips`, or hand them to the window already open. Returns the exit code."""
    log_file = setup_file_logging()
    app = application()
    route_qt_messages_to_log()
    if hand_off(clips):
        return 0
    log.info("Kinetoscope %s starting; log at %s", __version__, log_file)
    server = InstanceServer()
    server.listen()
    guard = CrashGuard()
    crashed_before = last_crash(log_file.parent) if log_file else ""
    guard.install(log_file.parent if log_file else None)
    window = MainWindow()
    guard.crashed.connect(window.errors.show_message)
    if crashed_before:
        log.error("the previous run ended with a fatal error:\n%s", crashed_before)
        window.errors.show_message("Kinetoscope stopped unexpectedly last time. What it was doing is in the log "
                                   "(Help ▸ Open Log Folder).", crashed_before)
    server.clips_received.connect(window.open_paths)
    server.activation_requested.connect(lambda: bring_to_front(window))
    window.show()
    # Python's full collections walk every object alive; done on the GUI thread mid-run they cost
    # a visible stall. What start-up created (Qt wrappers, numpy, onnxruntime, pyqtgraph) lives as
    # long as the app, so it is set aside once, after the first paint, and never walked again.
    QTimer.singleShot(0, freeze_startup_objects)
    if clips:
        # After the first paint, so the window appears at once and fills in as work completes.
        QTimer.singleShot(0, lambda: window.open_paths(clips))
    try:
        return app.exec()
    finally:
        server.close()
        guard.uninstall()
        log.info("Kinetoscope exiting")
