"""The GUI's handle on live classification: the engine's `LiveClassifier`, with Qt signals.

Results come from the classifier's worker thread; only the newest waits for the GUI thread
(latest wins, like the frames), so a busy GUI shows fewer results rather than a growing backlog.
Stopping never blocks the GUI: the worker finishes the window it is running and ends; its late
result is ignored. `shutdown()` (window closing) does wait for it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.engine.media.frame_source import TimedFrame
from kinetoscope.engine.inference.live import LiveClassifier, LiveConfig, LiveResult

log = logging.getLogger(__name__)


class LiveRunner(QObject):
    """Start and stop live classification; results and errors arrive as signals on the GUI thread."""

    ready = Signal(object)        # DeviceReport of the session (or None for sessions without one)
    result = Signal(object)       # LiveResult, newest only
    failed = Signal(str, str)     # message for people, technical detail
    running_changed = Signal(bool)

    _wake = Signal()
    _ready_relay = Signal(object, int)
    _failed_relay = Signal(str, str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: LiveClassifier | None = None
        self._ending: list[LiveClassifier] = []  # stopped, finishing their last window
        self._generation = 0
        self._lock = threading.Lock()
        self._latest: tuple[int, LiveResult] | None = None
        self._scheduled = False
        self._wake.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._ready_relay.connect(self._on_ready, Qt.ConnectionType.QueuedConnection)
        self._failed_relay.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._live is not None

    @property
    def classifier(self) -> LiveClassifier | None:
        return self._live

    def start(self, model_path: Path, device: str = "cpu", config: LiveConfig = LiveConfig()) -> None:
        """Open the model on the worker thread, then classify the frames `push`ed."""
        path = Path(model_path)
        self.start_with(lambda: VideoClassifier.open(path, device), config)

    def start_with(self, open_session, config: LiveConfig = LiveConfig()) -> None:  # noqa: ANN001
        """Like `start` with any session factory (tests wrap sessions to make them slow)."""
        self.stop()
        self._generation += 1
        gen = self._generation
        self._live = LiveClassifier(
            open_session, config,
            on_result=lambda r: self._arrived(gen, r),
            on_ready=lambda s: self._ready_relay.emit(getattr(s, "report", None), gen),
            on_error=lambda e: self._failed_relay.emit(*_describe(e), gen),
        )
        self._live.start()
        self.running_changed.emit(True)

    def push(self, frame: TimedFrame) -> None:
        if self._live is not None:
            self._live.push(frame)

    def stop(self) -> None:
        """Stop without waiting; no result of this run is shown afterwards."""
        live, self._live = self._live, None
        if live is None:
            return
        self._generation += 1
        if not live.stop(wait=False):
            self._ending.append(live)
        self._ending = [e for e in self._ending if e.running]
        with self._lock:
            self._latest = None
        self.running_changed.emit(False)

    def shutdown(self, timeout_s: float = 20.0) -> None:
        """Stop and wait for the worker threads (at most one inference each)."""
        self.stop()
        for live in self._ending:
            live.stop(timeout_s)
        self._ending = []

    # -- from the worker thread ---------------------------------------------------------------

    def _arrived(self, gen: int, result: LiveResult) -> None:
        with self._lock:
            self._latest = (gen, result)
            if self._scheduled:
                return
            self._scheduled = True
        self._wake.emit()

    # -- on the GUI thread --------------------------------------------------------------------

    @Slot()
    def _deliver(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
            self._scheduled = False
        if latest is not None and latest[0] == self._generation:
            self.result.emit(latest[1])

    def _on_ready(self, report: object, gen: int) -> None:
        if gen == self._generation:
            self.ready.emit(report)

    def _on_failed(self, message: str, detail: str, gen: int) -> None:
        if gen != self._generation:
            return
        self.stop()
        self.failed.emit(message, detail)


def _describe(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, KinetoscopeError):
        return exc.message, exc.detail or ""
    return (f"Live classification stopped: {exc}",
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

