"""Which clip runs next, with what, and what came of it: the queue's scheduler.

At most one job runs. The clip being looked at comes first; the rest of the queue is worked
through in order when nothing else is asked for. Results are kept per clip and options, so going
back to a clip shows its result at once instead of classifying it again; only the latest few keep
the crops the model saw (they are most of a result's memory), older ones keep their numbers.

Jobs run on the window's serial engine lane (`kinetoscope.ui.tasks`), which caches their sessions.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.inference.results import ClipResult, DeviceReport, Prediction, ViewResult
from kinetoscope.engine.media.video import VideoInfo
from kinetoscope.engine.modelfiles.recipe import InputRecipe
from kinetoscope.ui.main.classify_job import (ClassifyRequest, ClipProbed, SessionCache, SessionReady, StageChanged,
                                              ViewReady, ViewsDone, classify)
from kinetoscope.ui.main.clip_queue import ClipQueue, ClipState
from kinetoscope.ui.main.controls_pane import RunOptions
from kinetoscope.ui.tasks import Failure, Lane, Task, follow_while
from kinetoscope.ui.widgets.predictions import percent

# Results that keep the model's crops (16 thumbnails per view): the clips looked at lately.
RESULTS_WITH_CROPS = 8


@dataclass
class RunningJob:
    task: Task
    clip: Path
    options: RunOptions
    info: VideoInfo | None = None
    device: DeviceReport | None = None
    recipe: InputRecipe | None = None
    views: list[tuple[ViewResult, tuple[Prediction, ...]]] = field(default_factory=list)
    views_total: int = 0

    def view_shape(self) -> tuple[int, float]:
        """Frames per view and the seconds of clip one view covers (0 while the model is not open)."""
        if self.recipe is None:
            return 0, 0.0
        return self.recipe.frames, self.recipe.view_seconds(self.info.fps if self.info else 30.0)


class ClipRunner(QObject):
    """Schedules classifications on the engine and reports them for the clip on show.

    Signals about the running job carry its clip, so the window can ignore jobs for clips it is
    not showing (the queue keeps working in the background).
    """

    started = Signal(Path)
    stage = Signal(Path, str)
    planned = Signal(Path, float, int, int, float)  # duration, view count, frames per view, view seconds
    session_ready = Signal(Path, object)            # DeviceReport
    progress = Signal(Path, int, int)
    view_ready = Signal(Path, object, object, int)  # ViewResult, running top-5, views total
    finished = Signal(Path, object)                 # ClipResult
    failed = Signal(Path, object)                   # Failure
    cancelled = Signal(Path)
    idle = Signal()

    def __init__(self, engine: Lane, queue: ClipQueue, options: Callable[[], RunOptions | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.sessions = SessionCache()  # used and cleared only on the engine lane
        self.queue = queue
        self._options = options
        self.running: RunningJob | None = None
        self.paused = False
        self._results: OrderedDict[tuple[Path, RunOptions], ClipResult] = OrderedDict()

    def result_for(self, clip: Path, options: RunOptions) -> ClipResult | None:
        return self._results.get((clip, options))

    def shutdown(self, timeout_s: float = 20.0) -> None:
        """Cancel the running job and release the sessions on the engine lane's own thread."""
        self.engine.shutdown(timeout_s, last=self.sessions.clear)

    def release_sessions(self, keep: RunOptions | None) -> None:
        """Release the cached sessions other than `keep`'s (on the engine lane, after what runs)."""
        sessions = self.sessions
        kept = [(Path(keep.model_path), keep.device)] if keep is not None else []
        self.engine.submit(lambda _ctx: sessions.keep_only(kept), name="release sessions")

    def run(self, clip: Path, options: RunOptions, *, fresh: bool = False) -> None:
        """Classify `clip` now, stopping whatever else runs; `fresh` ignores a cached result."""
        self.paused = False
        if fresh:
            self._results.pop((clip, options), None)
        if self.running is not None:
            if self.running.clip == clip and self.running.options == options and not fresh:
                return
            self._stop_running(requeue=True)
        self._submit(clip, options)

    def cancel(self) -> None:
        """Stop the running job and pause the queue until the user asks for more."""
        self.paused = True
        if self.running is not None:
            self._stop_running(requeue=False)

    def forget(self, clips: Collection[Path]) -> None:
        """`clips` left the queue: stop the job running on one of them and drop their results.

        Nothing new starts here; the caller decides what runs next (`run` or `run_next`).
        """
        for key in [key for key in self._results if key[0] in clips]:
            del self._results[key]
        if self.running is not None and self.running.clip in clips:
            self._stop_running(requeue=False)

    def results_of(self, clips: Collection[Path]) -> dict[tuple[Path, RunOptions], ClipResult]:
        """The kept results of `clips` (to give back with `keep` if their removal is undone)."""
        return {key: result for key, result in self._results.items() if key[0] in clips}

    def keep(self, results: dict[tuple[Path, RunOptions], ClipResult]) -> None:
        """Take back results handed out by `results_of`."""
        for key, result in results.items():
            self._remember(key, result)

    def forget_results(self) -> None:
        """Drop every kept result (a model was installed or removed: they may describe an old one)."""
        self._results.clear()

    def run_next(self) -> None:
        """If idle and not paused, start the next clip still waiting in the queue."""
        options = self._options()
        if self.running is not None or self.paused or options is None:
            return
        while (clip := self.queue.next_pending()) is not None:
            cached = self.result_for(clip, options)
            if cached is None:
                self._submit(clip, options)
                return
            self.queue.set_state(clip, ClipState.DONE, summary(cached))
        self.idle.emit()

    def _submit(self, clip: Path, options: RunOptions) -> None:
        request = ClassifyRequest(Path(clip), Path(options.model_path), options.device, options.views)
        sessions = self.sessions
        task = self.engine.submit(lambda ctx: classify(ctx, sessions, request), name=f"classify {clip.name}")
        job = self.running = RunningJob(task, clip, options)
        follow_while(task, lambda: self.running is job, progress=partial(self._on_report, job),
                     succeeded=partial(self._on_finished, job), failed=partial(self._on_failed, job),
                     cancelled=partial(self._on_cancelled, job))
        self.queue.set_state(clip, ClipState.RUNNING)
        self.started.emit(clip)

    def _stop_running(self, *, requeue: bool) -> None:
        job = self.running
        assert job is not None
        job.task.cancel()
        self.running = None  # the task's `cancelled` arrives later and is ignored
        self.queue.set_state(job.clip, ClipState.PENDING if requeue else ClipState.CANCELLED)
        self.cancelled.emit(job.clip)

    def _remember(self, key: tuple[Path, RunOptions], result: ClipResult) -> None:
        """Keep `result`; results older than the latest few lose their crops."""
        self._results[key] = result
        self._results.move_to_end(key)
        for old in list(self._results)[:-RESULTS_WITH_CROPS]:
            kept = self._results[old]
            if any(v.crops is not None for v in kept.views):
                self._results[old] = replace(kept, views=tuple(replace(v, crops=None) for v in kept.views))

    # -- engine reports (GUI thread) ------------------------------------------------------
    def _on_report(self, job: RunningJob, event: object) -> None:
        if isinstance(event, StageChanged):
            self.stage.emit(job.clip, event.text)
        elif isinstance(event, ClipProbed):
            job.info = event.info
        elif isinstance(event, SessionReady):
            job.device, job.recipe = event.report, event.recipe
            self.session_ready.emit(job.clip, event.report)
        elif isinstance(event, ViewsDone):
            if job.views_total == 0:
                job.views_total = event.total
                frames, seconds = job.view_shape()
                self.planned.emit(job.clip, job.info.duration_s if job.info else 0.0, event.total, frames, seconds)
            self.progress.emit(job.clip, event.done, event.total)
        elif isinstance(event, ViewReady):
            job.views.append((event.view, event.running_top5))
            self.view_ready.emit(job.clip, event.view, event.running_top5, job.views_total)

    def _on_finished(self, job: RunningJob, result: ClipResult) -> None:
        self.running = None
        self._remember((job.clip, job.options), result)
        self.queue.set_state(job.clip, ClipState.DONE, summary(result))
        self.finished.emit(job.clip, result)
        self.run_next()

    def _on_failed(self, job: RunningJob, failure: Failure) -> None:
        self.running = None
        self.queue.set_state(job.clip, ClipState.FAILED)
        self.failed.emit(job.clip, failure)
        self.run_next()

    def _on_cancelled(self, job: RunningJob) -> None:
        self.running = None
        self.queue.set_state(job.clip, ClipState.CANCELLED)
        self.cancelled.emit(job.clip)


def summary(result: ClipResult) -> str:
    """The top-1 as the clip list and the status bar show it: "moving left · 82.9%"."""
    best = result.top5[0]
    return f"{best.label} · {percent(best.prob)}"  # as the top-5 panel writes it
