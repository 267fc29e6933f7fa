"""A probe of the GUI thread's responsiveness: a 10 ms timer that records, between two of its ticks,
the wall time and the GUI thread's own CPU time.

The CPU time is what the window itself spent (painting, handling results) without returning to its
event loop; the wall time also counts waiting (for the GIL, for a core another process holds).
Python's collector is set aside for what lived before the probe (as the app does after its first
paint, `freeze_startup_objects`): in a test process that is hundreds of earlier tests' objects,
which the app never has.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QElapsedTimer, QTimer

from kinetoscope.ui.app import freeze_startup_objects

LAG_LIMIT_MS = 100   # the GUI thread never works longer than this between two turns of its loop
WAIT_LIMIT_MS = 400  # nor waits longer (wall clock, so it includes time other processes take)


@dataclass
class LagProbe:
    """`with LagProbe() as probe: ...work...`, then read `worst_busy_ms`, `worst_wall_ms`, `report()`."""

    wall_gaps: list[float] = field(default_factory=list)
    busy_gaps: list[float] = field(default_factory=list)
    gc_pauses: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    def __enter__(self) -> LagProbe:
        freeze_startup_objects()
        gc.callbacks.append(self._on_gc)
        self._gc_started = 0.0
        self._clock = QElapsedTimer()
        self._last_cpu = time.thread_time()
        self._timer = QTimer(interval=10)
        self._timer.timeout.connect(self._tick)
        self._clock.start()
        self._timer.start()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.stop()
        self.elapsed_s = time.perf_counter() - self._started
        gc.callbacks.remove(self._on_gc)
        gc.unfreeze()

    @property
    def worst_busy_ms(self) -> float:
        return max(self.busy_gaps[1:], default=0.0)

    @property
    def worst_wall_ms(self) -> float:
        return max(self.wall_gaps[1:], default=0.0)

    def within_limits(self) -> bool:
        return self.worst_busy_ms < LAG_LIMIT_MS and self.worst_wall_ms < WAIT_LIMIT_MS

    def report(self) -> str:
        return (f"lag probe: {len(self.wall_gaps)} ticks over {self.elapsed_s:.2f} s; worst gap "
                f"{self.worst_wall_ms:.0f} ms, of which the GUI thread was busy {self.worst_busy_ms:.0f} ms; "
                f"{len(self.gc_pauses)} collections, longest {max(self.gc_pauses, default=0):.0f} ms")

    def _tick(self) -> None:
        self.wall_gaps.append(self._clock.restart())
        now = time.thread_time()
        self.busy_gaps.append((now - self._last_cpu) * 1000)
        self._last_cpu = now

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append((time.perf_counter() - self._gc_started) * 1000)
