"""The one "latest value wins" hand-off from any thread to the GUI thread.

A producer (a camera backend's thread, a live classifier's worker) `put`s values as fast as it
makes them; the GUI thread receives only the newest, once per turn of its loop. A busy GUI thread
therefore skips values, as a camera drops frames, instead of growing a backlog of them.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class LatestValue(QObject):
    """Parks the newest value; `arrived(value)` delivers it on the thread this object lives on."""

    arrived = Signal(object)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._value: Any = None
        self._waiting = False     # a value is parked
        self._scheduled = False   # a wake-up is on its way to the GUI thread
        self.received = 0
        self.dropped = 0          # replaced before the GUI thread got to them
        self._wake.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def put(self, value: Any) -> None:
        """From any thread: park `value`, replacing one not yet delivered."""
        with self._lock:
            self.received += 1
            if self._waiting:
                self.dropped += 1
            self._value, self._waiting = value, True
            if self._scheduled:
                return
            self._scheduled = True
        self._wake.emit()

    def clear(self) -> None:
        """Forget a parked value (the consumer stopped)."""
        with self._lock:
            self._value, self._waiting = None, False

    @Slot()
    def _deliver(self) -> None:
        with self._lock:
            value, waiting = self._value, self._waiting
            self._value, self._waiting, self._scheduled = None, False, False
        if waiting:
            self.arrived.emit(value)
