"""Which clip runs next, with what, and what came of it: the queue's scheduler.

At most one job runs. The clip being looked at comes first; the rest of the queue is worked
through in order when nothing else is asked for. Results are kept per clip and options, so going
back to a clip shows its result at once instead of classifying it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.modelfiles.recipe import InputRecipe
from kinetoscope.engine.inference.results import ClipResult, DeviceReport, Prediction, ViewResult
from kinetoscope.engine.media.video import VideoInfo
from kinetoscope.ui.clip_queue import ClipQueue, ClipState
from kinetoscope.ui.controls_pane import RunOptions
from kinetoscope.ui.widgets.predictions import percent
from kinetoscope.ui.workers import EngineClient


@dataclass
class RunningJob:
    job_id: int
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
    failed = Signal(Path, str, str)
    cancelled = Signal(Path)
    idle = Signal()

    def __init__(self, engine: EngineClient, queue: ClipQueue, options: Callable[[], RunOptions | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.queue = queue
        self._options = options
        self.running: RunningJob | None = None
        self.paused = False
        self._results: dict[tuple[Path, RunOptions], ClipResult] = {}
        engine.stage.connect(self._on_stage)
        engine.clip_probed.connect(self._on_probed)
        engine.session_ready.connect(self._on_session)
        engine.progress.connect(self._on_progress)
        engine.view_ready.connect(self._on_view)
        engine.finished.connect(self._on_finished)
        engine.failed.connect(self._on_failed)
        engine.cancelled.connect(self._on_cancelled)

    def result_for(self, clip: Path, options: RunOptions) -> ClipResult | None:
        return self._results.get((clip, options))

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
        self._results = {key: result for key, result in self._results.items() if key[0] not in clips}
        if self.running is not None and self.running.clip in clips:
            self._stop_running(requeue=False)

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
        job_id = self.engine.submit(clip, options.model_path, options.device, options.views)
        self.running = RunningJob(job_id, clip, options)
        self.queue.set_state(clip, ClipState.RUNNING)
        self.started.emit(clip)

    def _stop_running(self, *, requeue: bool) -> None:
        job = self.running
        assert job is not None
        self.engine.cancel(job.job_id)
        self.running = None  # the engine's `cancelled` for it arrives later and is ignored
        self.queue.set_state(job.clip, ClipState.PENDING if requeue else ClipState.CANCELLED)
        self.cancelled.emit(job.clip)

    def _job(self, job_id: int) -> RunningJob | None:
        return self.running if self.running is not None and self.running.job_id == job_id else None

    # -- engine reports -------------------------------------------------------------------
    def _on_stage(self, job_id: int, text: str) -> None:
        if job := self._job(job_id):
            self.stage.emit(job.clip, text)

    def _on_probed(self, job_id: int, info: VideoInfo) -> None:
        if job := self._job(job_id):
            job.info = info

    def _on_session(self, job_id: int, report: DeviceReport, recipe: InputRecipe) -> None:
        if job := self._job(job_id):
            job.device = report
            job.recipe = recipe
            self.session_ready.emit(job.clip, report)

    def _on_progress(self, job_id: int, done: int, total: int) -> None:
        job = self._job(job_id)
        if job is None:
            return
        if job.views_total == 0:
            job.views_total = total
            frames, seconds = job.view_shape()
            self.planned.emit(job.clip, job.info.duration_s if job.info else 0.0, total, frames, seconds)
        self.progress.emit(job.clip, done, total)

    def _on_view(self, job_id: int, view: ViewResult, running_top5: tuple[Prediction, ...]) -> None:
        if job := self._job(job_id):
            job.views.append((view, running_top5))
            self.view_ready.emit(job.clip, view, running_top5, job.views_total)

    def _on_finished(self, job_id: int, result: ClipResult) -> None:
        job = self._job(job_id)
        if job is None:
            return
        self.running = None
        self._results[(job.clip, job.options)] = result
        self.queue.set_state(job.clip, ClipState.DONE, summary(result))
        self.finished.emit(job.clip, result)
        self.run_next()

    def _on_failed(self, job_id: int, message: str, detail: str) -> None:
        job = self._job(job_id)
        if job is None:
            return
        self.running = None
        self.queue.set_state(job.clip, ClipState.FAILED)
        self.failed.emit(job.clip, message, detail)
        self.run_next()

    def _on_cancelled(self, job_id: int) -> None:
        job = self._job(job_id)
        if job is None:  # already accounted for when it was stopped
            return
        self.running = None
        self.queue.set_state(job.clip, ClipState.CANCELLED)
        self.cancelled.emit(job.clip)


def summary(result: ClipResult) -> str:
    """The top-1 as the clip list and the status bar show it: "moving left · 82.9%"."""
    best = result.top5[0]
    return f"{best.label} · {percent(best.prob)}"  # as the top-5 panel writes it
