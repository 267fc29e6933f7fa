"""Uncaught exceptions and Qt's own messages go to the log; people hear about a crash once.

Like Friture's exception handler: every uncaught exception (any thread) is logged in full, and the
window is told at most once per distinct error, so a failure in a paint handler cannot open a
storm of dialogs.

Two things no excepthook sees: an exception leaving a Python method that Qt calls from C++ (an
`eventFilter`, a `paintEvent`) while Python itself is inside a Qt call can end the process in
PySide's error handling, so such overrides are wrapped in `survives`, which hands the exception
to the excepthook and returns a default; and a fatal signal (a segfault) is written, with every
thread's Python stack, to `crash.txt` in the log folder, which the next start reports once.
"""

from __future__ import annotations

import faulthandler
import functools
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, qInstallMessageHandler

log = logging.getLogger("kinetoscope.crash")
CRASH_FILE = "crash.txt"
Override = TypeVar("Override", bound=Callable[..., Any])
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


def survives(default: object) -> Callable[[Override], Override]:
    """Wrap a Qt virtual override so an exception in it goes to `sys.excepthook` (the log, the
    window's banner) and Qt gets `default`, instead of the exception crossing back into C++."""
    def wrap(method: Override) -> Override:
        @functools.wraps(method)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception:  # noqa: BLE001 - every exception is reported, none may escape to Qt
                sys.excepthook(*sys.exc_info())
                return default
        return guarded  # type: ignore[return-value]
    return wrap


def last_crash(log_folder: Path) -> str:
    """What `CrashGuard.install` wrote when the process before this one died (moved aside, so it
    is reported once); "" when it ended normally."""
    crash = log_folder / CRASH_FILE
    try:
        text = crash.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            crash.replace(log_folder / f"{CRASH_FILE}.previous")
    except OSError:
        return ""
    return text


class CrashGuard(QObject):
    """Installs sys.excepthook and threading.excepthook; `crashed` reaches the GUI thread once
    per distinct error with a sentence and the traceback."""

    crashed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._previous = (sys.excepthook, threading.excepthook)
        self._fatal_file: IO[str] | None = None
        self.count = 0

    def install(self, log_folder: Path | None = None) -> None:
        """Take over the excepthooks; with `log_folder`, also have a fatal signal's stacks written
        to its `crash.txt` (see `last_crash`)."""
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        if log_folder is not None:
            try:
                self._fatal_file = open(log_folder / CRASH_FILE, "w", encoding="utf-8")  # noqa: SIM115 - open for the process's life
            except OSError as exc:
                log.warning("no crash file in %s: %s", log_folder, exc)
            else:
                faulthandler.enable(self._fatal_file, all_threads=True)

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous
        if self._fatal_file is not None:
            faulthandler.disable()
            name = self._fatal_file.name
            self._fatal_file.close()
            self._fatal_file = None
            Path(name).unlink(missing_ok=True)  # a normal end: nothing to report next time

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
