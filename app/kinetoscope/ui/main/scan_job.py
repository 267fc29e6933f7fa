"""What the engine lane runs to scan a whole clip for the window, and what it reports on the way.

A scan at one window a second of an hour-long file makes 3,600 windows, which the demo model gets
through at hundreds a second; reporting each one would queue thousands of events on the GUI
thread. Windows are therefore handed over in batches, at most every `BATCH_INTERVAL_S`, each batch
with the progress so far. The job shares the classify job's `SessionCache` (same lane, same thread).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.inference.scan import ScanProgress, ScanResult, ScanWindow, SegmentRule
from kinetoscope.engine.media.video import probe
from kinetoscope.ui.main.classify_job import SessionCache, StageChanged
from kinetoscope.ui.tasks import TaskContext

log = logging.getLogger(__name__)

BATCH_INTERVAL_S = 0.1


@dataclass(frozen=True)
class ScanRequest:
    """Scan `clip` with the bundle at `model_path` on `device`, a window every `every_s` seconds
    (0: back to back), merging windows into segments by `rule`."""

    clip: Path
    model_path: Path
    device: str
    every_s: float
    rule: SegmentRule = SegmentRule()


@dataclass(frozen=True)
class ScanPlanned:
    """The scan's shape, once the model is open and the clip planned."""

    duration_s: float
    windows_total: int
    labels: tuple[str, ...]
    device_label: str


@dataclass(frozen=True)
class WindowBatch:
    """Windows finished since the last batch, and how far the scan has got."""

    windows: tuple[ScanWindow, ...]
    done: int
    total: int


def scan(ctx: TaskContext, sessions: SessionCache, request: ScanRequest) -> ScanResult:
    """The engine-lane job behind "Scan whole clip"."""
    log.info("scan %s with %s on %s, every %s", request.clip, request.model_path.name, request.device,
             f"{request.every_s:g} s" if request.every_s else "window (back to back)")
    ctx.report(StageChanged("Reading the clip…"))
    info = probe(request.clip)
    classifier = sessions.classifier(request.model_path, request.device, ctx)
    ctx.raise_if_cancelled()
    ctx.report(StageChanged(f"Scanning on {classifier.report.label}…"))
    labels = tuple(classifier.bundle.labels)
    pending: list[ScanWindow] = []
    state = {"planned": False, "sent": time.monotonic(), "done": 0, "total": 0}

    def send() -> None:
        ctx.report(WindowBatch(tuple(pending), state["done"], state["total"]))
        pending.clear()
        state["sent"] = time.monotonic()

    def on_progress(p: ScanProgress) -> None:
        state["done"], state["total"] = p.windows_done, p.windows_total
        if not state["planned"]:
            state["planned"] = True
            ctx.report(ScanPlanned(info.duration_s, p.windows_total, labels, classifier.report.label))

    def on_window(window: ScanWindow) -> None:
        pending.append(window)
        state["done"] = window.index + 1
        if time.monotonic() - state["sent"] >= BATCH_INTERVAL_S:
            send()

    every = request.every_s if request.every_s > 0 else None
    result = classifier.scan(request.clip, every_s=every, rule=request.rule, on_window=on_window, on_progress=on_progress,
                             cancel=ctx.token, info=info)
    send()  # the last windows, and 100%
    log.info("scan %s done: %d windows, %d segments (%.0f ms)", request.clip.name, len(result.windows),
             len(result.segments), result.timings.total_ms)
    return result
