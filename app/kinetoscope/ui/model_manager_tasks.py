"""Background jobs for the model manager: one QThread per job, cancelled through a CancelToken.

Each download gets its own thread, so several run at once and none blocks the window; the
engine's callbacks become signals, which Qt delivers on the GUI thread. Nothing is terminated:
`cancel()` sets the token, the engine notices (within a tenth of a second even on a stalled
connection) and the thread ends by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled, KinetoscopeError
from kinetoscope.engine.modelfiles.http_client import NetworkError

log = logging.getLogger(__name__)

# job(token, on_progress, on_stage) -> result
Job = Callable[[CancelToken, Callable[[Any], None], Callable[[str], None]], Any]


class EngineTask(QThread):
    """Runs one engine job off the GUI thread and reports through signals."""

    progress = Signal(object)          # engine progress value (e.g. DownloadProgress)
    stage = Signal(str)                # "Checking the zip…"
    succeeded = Signal(object)         # the job's result
    failed = Signal(str, str, bool)    # message for people, technical detail, resumable
    cancelled = Signal()

    def __init__(self, job: Job, name: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._job = job
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            result = self._job(self.token, self.progress.emit, self.stage.emit)
        except Cancelled:
            self.cancelled.emit()
        except NetworkError as exc:
            log.warning("%s failed: %s (%s)", self.objectName(), exc.message, exc.detail)
            self.failed.emit(exc.message, exc.detail, exc.resumable)
        except KinetoscopeError as exc:
            log.warning("%s failed: %s (%s)", self.objectName(), exc.message, exc.detail)
            self.failed.emit(exc.message, exc.detail, False)
        except Exception as exc:  # a bug: say so plainly, keep the details for the log
            log.exception("%s crashed", self.objectName())
            self.failed.emit("Something went wrong; the details are in the log file.", repr(exc), False)
        else:
            self.succeeded.emit(result)
