"""Which clip runs next, with what, and what came of it: the queue's scheduler.

At most one job runs. The clip being looked at comes first; the rest of the list is worked through
in order when nothing else is asked for. Everything learnt is written to the clips' records in the
`ClipStore` (state, live run, results by options), so going back to a clip shows its result at once
instead of classifying it again. The signals say what happened, for the panes that present it.

Jobs (`classify`, below) run on the window's serial engine lane (`kinetoscope.ui.tasks`), which
caches their sessions (`session_cache.py`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.classify import Progress
from kinetoscope.engine.inference.results import ClipResult, DeviceReport, Prediction, ViewResult, top_k
from kinetoscope.engine.media.video import VideoInfo
from kinetoscope.engine.recipe import InputRecipe
from kinetoscope.ui.main.clip_records import ClipState, ClipStore, LiveRun, RunOptions
from kinetoscope.ui.main.session_cache import EngineRunner, SessionCache, open_clip_and_model
from kinetoscope.ui.tasks import Failure, Lane, Op, Task, TaskContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifyRequest:
    """Classify `clip` with the bundle at `model_path` on `device` (`views` 0: the model's default)."""

    clip: Path
    model_path: Path
    device: str
    views: int


# -- what a classification reports, in order (after `StageChanged`s) ---------------------------
@dataclass(frozen=True)
class SessionReady:
    report: DeviceReport
    recipe: InputRecipe
    info: VideoInfo


@dataclass(frozen=True)
class ViewsDone:
    done: int
    total: int


@dataclass(frozen=True)
class ViewReady:
    view: ViewResult
    running_top5: tuple[Prediction, ...]  # over the views so far


def classify(ctx: TaskContext, sessions: SessionCache, request: ClassifyRequest) -> ClipResult:
    """The engine-lane job behind one clip's classification."""
    log.info("classify %s with %s on %s, %d views", request.clip, request.model_path.name, request.device,
             request.views)
    info, classifier = open_clip_and_model(ctx, sessions, request.clip, request.model_path, request.device)
    ctx.report(SessionReady(classifier.report, classifier.recipe, info))
    labels = classifier.bundle.labels
    seen: list[np.ndarray] = []

    def on_view(view: ViewResult) -> None:
        seen.append(view.probs)
        ctx.report(ViewReady(view, top_k(np.mean(seen, axis=0), labels)))

    def on_progress(p: Progress) -> None:
        ctx.report(ViewsDone(p.views_done, p.views_total))

    result = classifier.classify(request.clip, views=request.views or None, on_view=on_view,
                                 on_progress=on_progress, cancel=ctx.token, keep_crops=True, info=info)
    log.info("classify %s done: %s (%.0f ms)", request.clip.name, result.top5[0].label, result.timings.total_ms)
    return result


@dataclass(frozen=True)
class RunningJob:
    """The job under way: its task, its clip, and how far it has got (the clip's `LiveRun`)."""

    task: Task
    clip: Path
    live: LiveRun

    @property
    def options(self) -> RunOptions:
        return self.live.options


class ClipRunner(EngineRunner):
    """Schedules classifications on the engine (`finished` carries the ClipResult); the list keeps
    working in the background while another clip is shown."""

    planned = Signal(Path, float, int, int, float, int)  # duration, views, frames per view, view seconds, crops
    session_ready = Signal(Path, object)            # DeviceReport
    progress = Signal(Path, int, int)
    view_ready = Signal(Path, object, object, int)  # ViewResult, running top-5, views total
    idle = Signal()
    job_name = "classify"

    def __init__(self, engine: Lane, store: ClipStore, options: Callable[[], RunOptions | None],
                 parent: QObject | None = None, *, sessions: SessionCache | None = None) -> None:
        # The sessions are used and cleared only on the engine lane.
        super().__init__(engine, sessions or SessionCache(), store, parent)
        self._options = options
        self.running: RunningJob | None = None
        self.paused = False

    def shutdown(self, timeout_s: float = 20.0) -> None:
        """Cancel the running job and release the sessions on the engine lane's own thread."""
        self.engine.shutdown(timeout_s, last=self.sessions.clear)

    def release_sessions(self, keep: RunOptions | None) -> None:
        """Release the cached sessions other than `keep`'s (on the engine lane, after what runs)."""
        sessions = self.sessions
        kept = [(Path(keep.model_path), keep.device)] if keep is not None else []
        # The collection runs here on the GUI thread, where any Qt object in a cycle may be destroyed.
        (Op(self.engine, lambda _ctx: sessions.keep_only(kept), name="release sessions")
         .success(lambda _result: gc.collect()).run())

    def run(self, clip: Path, options: RunOptions, *, fresh: bool = False) -> None:
        """Classify `clip` now, stopping whatever else runs; `fresh` ignores a kept result."""
        self.paused = False
        if fresh:
            self.store.forget_result(clip, options)
        if self.running is not None:
            if self.running.clip == clip and self.running.options == options and not fresh:
                return
            self._stop_running(ClipState.PENDING)
        self._submit(clip, options)

    def cancel(self) -> None:
        """Stop the running job and pause the list until the user asks for more."""
        self.paused = True
        if self.running is not None:
            self._stop_running(ClipState.CANCELLED)

    def forget(self, clips: Collection[Path]) -> None:
        """`clips` are leaving the list: stop the job running on one of them.

        Nothing new starts here; the caller decides what runs next (`run` or `run_next`).
        """
        if self.running is not None and self.running.clip in clips:
            self._stop_running(ClipState.CANCELLED)

    def run_next(self) -> None:
        """If idle and not paused, start the next clip still waiting in the list."""
        options = self._options()
        if self.running is not None or self.paused or options is None:
            return
        while (clip := self.store.next_pending()) is not None:
            kept = self.store.result_for(clip, options)
            if kept is None:
                self._submit(clip, options)
                return
            self.store.set_state(clip, ClipState.DONE, kept)
        self.idle.emit()

    def _submit(self, clip: Path, options: RunOptions) -> None:
        request = ClassifyRequest(Path(clip), Path(options.model_path), options.device, options.views)
        sessions = self.sessions
        live = LiveRun(options)
        task = self._start(clip, lambda ctx: classify(ctx, sessions, request),
                           report=lambda event: self._on_report(clip, live, event),
                           finished=lambda result: self._on_finished(clip, options, result),
                           failed=lambda failure: self._on_failed(clip, options, failure),
                           cancelled=lambda: self._ended(clip, ClipState.CANCELLED))
        self.running = RunningJob(task, clip, live)
        self.store.set_run(clip, live)
        self.store.set_state(clip, ClipState.RUNNING)
        self.started.emit(clip)

    def _stop_running(self, state: ClipState) -> None:
        job = self.running
        assert job is not None
        self._newest.drop()  # its own `cancelled` arrives later and is ignored
        self._ended(job.clip, state)

    def _ended(self, clip: Path, state: ClipState, result: ClipResult | None = None) -> None:
        self.running = None
        self.store.set_run(clip, None)
        self.store.set_state(clip, state, result)
        if state is ClipState.CANCELLED or state is ClipState.PENDING:
            self.cancelled.emit(clip)

    # -- engine reports (GUI thread) ------------------------------------------------------
    def _on_report(self, clip: Path, live: LiveRun, event: object) -> None:
        if isinstance(event, SessionReady):
            live.device, live.recipe, live.info = event.report, event.recipe, event.info
            self.session_ready.emit(clip, event.report)
        elif isinstance(event, ViewsDone):
            if live.views_total == 0:
                live.views_total = event.total
                frames, seconds = live.view_shape()
                crops = live.recipe.spatial_crops if live.recipe else 1
                self.planned.emit(clip, live.info.duration_s if live.info else 0.0, event.total, frames, seconds, crops)
            self.progress.emit(clip, event.done, event.total)
        elif isinstance(event, ViewReady):
            live.views.append((event.view, event.running_top5))
            self.view_ready.emit(clip, event.view, event.running_top5, live.views_total)

    def _on_finished(self, clip: Path, options: RunOptions, result: ClipResult) -> None:
        self.store.remember_result(clip, options, result)
        self._ended(clip, ClipState.DONE, result)
        self.finished.emit(clip, result)
        self.run_next()

    def _on_failed(self, clip: Path, options: RunOptions, failure: Failure) -> None:
        self.store.record_failure(clip, options, failure)
        self._ended(clip, ClipState.FAILED)
        self.failed.emit(clip, failure)
        self.run_next()
