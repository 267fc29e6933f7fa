"""The GUI's handle on live classification: the engine's `LiveClassifier`, with Qt signals.

Results come from the classifier's worker thread through a `LatestValue`: only the newest waits
for the GUI thread (latest wins, like the frames), so a busy GUI shows fewer results rather than a
growing backlog. The session's readiness and a failure travel the same way, on a second one (a
failure may replace a "ready" not yet shown: the failure is what matters then).
Stopping never blocks the GUI: the worker finishes the window it is running and ends; its late
result is ignored (each value carries the classifier that made it: only the newest one's count).
`shutdown()` (window closing) does wait for it.

This is not a `Lane` job (`kinetoscope.ui.tasks`): a task reports every progress value in order and
ends once, while live classification is an open-ended stream whose GUI wants only the newest value;
the engine's `LiveClassifier` owns its thread so that frames pushed from the camera's thread reach
it without a hop through the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.live import LiveClassifier, LiveConfig, LiveResult
from kinetoscope.engine.media.frame_source import TimedFrame
from kinetoscope.ui.latest import LatestValue
from kinetoscope.ui.tasks import Failure, describe


@dataclass(frozen=True)
class _Ready:
    report: object


@dataclass(frozen=True)
class _Failed:
    failure: Failure


class LiveRunner(QObject):
    """Start and stop live classification; results and errors arrive as signals on the GUI thread."""

    ready = Signal(object)        # DeviceReport of the session (or None for sessions without one)
    result = Signal(object)       # LiveResult, newest only
    failed = Signal(object)       # Failure
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: LiveClassifier | None = None
        self._ending: list[LiveClassifier] = []  # stopped, finishing their last window
        self._results = LatestValue(self)      # (the classifier, LiveResult)
        self._results.arrived.connect(self._deliver)
        self._lifecycle = LatestValue(self)    # (the classifier, _Ready | _Failed)
        self._lifecycle.arrived.connect(self._on_lifecycle)

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
        live: LiveClassifier = LiveClassifier(
            open_session, config,
            on_result=lambda r: self._results.put((live, r)),
            on_ready=lambda s: self._lifecycle.put((live, _Ready(getattr(s, "report", None)))),
            on_error=lambda e: self._lifecycle.put((live, _Failed(describe(e)))),
        )
        self._live = live
        live.start()
        self.running_changed.emit(True)

    def push(self, frame: TimedFrame) -> None:
        if self._live is not None:
            self._live.push(frame)

    def stop(self) -> None:
        """Stop without waiting; no result of this run is shown afterwards."""
        live, self._live = self._live, None
        if live is None:
            return
        if not live.stop(wait=False):
            self._ending.append(live)
        self._ending = [e for e in self._ending if e.running]
        self._results.clear()
        self.running_changed.emit(False)

    def shutdown(self, timeout_s: float = 20.0) -> None:
        """Stop and wait for the worker threads (at most one inference each)."""
        self.stop()
        for live in self._ending:
            live.stop(timeout_s)
        self._ending = []

    # -- on the GUI thread --------------------------------------------------------------------

    def _deliver(self, latest: tuple[LiveClassifier, LiveResult]) -> None:
        live, result = latest
        if live is self._live:
            self.result.emit(result)

    def _on_lifecycle(self, latest: tuple[LiveClassifier, _Ready | _Failed]) -> None:
        live, event = latest
        if live is not self._live:
            return
        if isinstance(event, _Ready):
            self.ready.emit(event.report)
        else:
            self.stop()
            self.failed.emit(event.failure)

