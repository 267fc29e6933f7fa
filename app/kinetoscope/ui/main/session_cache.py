"""The sessions the window's engine lane keeps open, how its jobs (classify, scan) begin, and what
their runners share.

The jobs are plain functions of a `TaskContext` (see `kinetoscope.ui.tasks`), in `runner.py` and
`scan_runner.py`. Sessions are cached in a `SessionCache` that only engine-lane jobs touch, so it
needs no lock, and it is cleared on that same thread when the lane shuts down. `EngineRunner` is
the runners' common part: one job at a time on the lane, and signals that carry the job's clip.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.media.video import VideoInfo, probe
from kinetoscope.engine.memory import return_freed_memory
from kinetoscope.engine.modelfiles.bundle import ModelBundle, open_bundle
from kinetoscope.ui.main.clip_records import ClipStore
from kinetoscope.ui.tasks import Failure, Job, Lane, Newest, Op, Task, TaskContext

log = logging.getLogger(__name__)

# Sessions hold the graph (and, on the NPU, a compiled context): hundreds of MB each for the
# Kinetics-400 models. The one in use and the one before it cover switching back and forth
# between two models or devices without holding every one ever used.
MAX_CACHED_SESSIONS = 2


@dataclass(frozen=True)
class StageChanged:
    text: str                      # what a job is doing now, for the status bar


class SessionCache:
    """Open bundles and classifiers, most recently used last. Touched only on the engine lane."""

    def __init__(self) -> None:
        self._bundles: dict[Path, ModelBundle] = {}
        self._classifiers: OrderedDict[tuple[Path, str], VideoClassifier] = OrderedDict()

    def classifier(self, model_path: Path, device: str, ctx: TaskContext) -> VideoClassifier:
        key = (model_path, device)
        classifier = self._classifiers.get(key)
        if classifier is not None:
            self._classifiers.move_to_end(key)
            return classifier
        bundle = self._bundles.get(model_path)
        if bundle is None:
            ctx.report(StageChanged("Opening the model…"))
            bundle = self._bundles[model_path] = open_bundle(model_path)
        ctx.raise_if_cancelled()
        where = "the NPU (first use compiles the model; this can take a while)" if device == "npu" else "the CPU"
        ctx.report(StageChanged(f"Preparing {bundle.name} for {where}…"))
        if len(self._classifiers) >= MAX_CACHED_SESSIONS:
            # Let the oldest go before opening the new one: its memory is reused, not added to.
            self.keep_only(list(self._classifiers)[-(MAX_CACHED_SESSIONS - 1):] + [key])
        classifier = VideoClassifier.open(bundle, device)
        self._classifiers[key] = classifier
        return classifier

    def cached(self) -> list[tuple[Path, str]]:
        """The (model path, device) of each cached session, least recently used first."""
        return list(self._classifiers)

    def keep_only(self, keys: list[tuple[Path, str]]) -> None:
        """Release every session but those of `keys`, and the bundles none of them uses."""
        for key in [k for k in self._classifiers if k not in keys]:
            del self._classifiers[key]
        used = {path for path, _device in self._classifiers} | {path for path, _device in keys}
        for path in [p for p in self._bundles if p not in used]:
            del self._bundles[path]
        # No gc.collect() here: on this (engine) thread a full collection also destroys whatever Qt
        # objects sit in cycles, off the GUI thread (a segfault seen once in a full test run).
        # `ClipRunner.release_sessions` collects on the GUI thread once this has run.
        return_freed_memory()

    def clear(self) -> None:
        self.keep_only([])


def open_clip_and_model(ctx: TaskContext, sessions: SessionCache, clip: Path, model_path: Path,
                        device: str) -> tuple[VideoInfo, VideoClassifier]:
    """What every engine-lane job starts with: read the clip (a bad clip fails before a slow model
    load), then take the model's session from the cache."""
    ctx.report(StageChanged("Reading the clip…"))
    info = probe(clip)
    classifier = sessions.classifier(model_path, device, ctx)
    ctx.raise_if_cancelled()
    return info, classifier


class EngineRunner(QObject):
    """Runs one job at a time on the engine lane (the newest: a job replaced is not heard from
    again) and writes what it learns to the clips' records. Signals carry the job's clip, so the
    window can keep showing another clip meanwhile."""

    started = Signal(Path)
    stage = Signal(Path, str)
    finished = Signal(Path, object)
    failed = Signal(Path, object)           # Failure
    cancelled = Signal(Path)
    job_name = "job"  # names its tasks in the log: "classify clip.mp4"

    def __init__(self, engine: Lane, sessions: SessionCache, store: ClipStore, parent: QObject | None) -> None:
        super().__init__(parent)
        self.engine, self.sessions, self.store = engine, sessions, store
        self._newest = Newest()

    def _start(self, clip: Path, job: Job, *, report: Callable[[Any], None], finished: Callable[[Any], None],
               failed: Callable[[Failure], None], cancelled: Callable[[], None]) -> Task:
        """Run `job` on `clip` as the newest; its `StageChanged`s become `stage`, the rest go to `report`."""
        return (Op(self.engine, job, name=f"{self.job_name} {clip.name}")
                .progress(lambda event: self.stage.emit(clip, event.text) if isinstance(event, StageChanged)
                          else report(event))
                .success(finished).failure(failed).cancelled(cancelled).newest_in(self._newest).run())
