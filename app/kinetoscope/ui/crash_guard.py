"""Uncaught exceptions and Qt's own messages go to the log; people hear about a crash once.

Like Friture's exception handler: every uncaught exception (any thread) is logged in full, and the
window is told at most once per distinct error, so a failure in a paint handler cannot open a
storm of dialogs.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, qInstallMessageHandler

log = logging.getLogger("kinetoscope.crash")
qt_log = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.file}:{context.line})" if context.file else ""
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def route_qt_messages_to_log() -> None:
    """Send qDebug/qWarning/... (Qt's and plugins') to the log file instead of the terminal."""
    qInstallMessageHandler(_qt_message)


class CrashGuard(QObject):
    """Installs sys.excepthook and threading.excepthook; `crashed` reaches the GUI thread once
    per distinct error with a sentence and the traceback."""

    crashed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._previous = (sys.excepthook, threading.excepthook)
        self.count = 0

    def install(self) -> None:
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        self._on_exception(args.exc_type, args.exc_value, args.exc_traceback,  # type: ignore[arg-type]
                           thread=args.thread.name if args.thread else "?")

    def _on_exception(self, exc_type: type[BaseException], exc: BaseException,
                      tb: TracebackType | None, *, thread: str | None = None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        where = thread or threading.current_thread().name
        log.critical("uncaught exception in thread %s", where, exc_info=(exc_type, exc, tb))
        key = (exc_type.__name__, str(exc))
        with self._lock:
            self.count += 1
            first = key not in self._seen
            self._seen.add(key)
        if first:
            detail = "".join(traceback.format_exception(exc_type, exc, tb))
            # Emitting from any thread is safe: the GUI thread receives it through its event queue.
            self.crashed.emit(f"Something went wrong inside Kinetoscope ({exc_type.__name__}: {exc}). "
                              "It has been logged; you can keep working.", detail)
