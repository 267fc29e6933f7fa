"""What the clip runner reports, on screen: the status bar, the progress bar, the live graphs, and
the clip view for the clip on show (through `ShownResult`, which knows whether its run is drawn live).

A clip classified in the background is said in the status bar and on its row; its banner and its
result come with the clip. The window is asked, through callbacks, for what only it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


from kinetoscope.engine.inference.results import ClipResult, DeviceReport
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import RunOptions
from kinetoscope.ui.main.runner import ClipRunner, summary
from kinetoscope.ui.main.shown_result import ShownResult
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.progress_bar import ProgressBar


@dataclass(frozen=True)
class RunCallbacks:
    """What the reports ask the window: the run options; to say text (`status`, `about`: a text
    about a clip, named unless it is on show); whether a run goes on (`set_running`); that a clip
    opened (`clip_opened`, for Open Recent) and which device ran (`device_seen`)."""

    options: Callable[[], RunOptions | None]
    status: Callable[[str], None]
    about: Callable[[Path, str], str]
    set_running: Callable[[bool], None]
    clip_opened: Callable[[Path], None]
    device_seen: Callable[[DeviceReport], None]


class RunReports:
    """Connects a `ClipRunner`'s signals to the window's panes; see the module's docstring."""

    def __init__(self, runner: ClipRunner, shown: ShownResult, clip_view: ClipView, graphs: LiveGraphs,
                 progress: ProgressBar, callbacks: RunCallbacks) -> None:
        self.runner = runner
        self.shown = shown
        self.clip_view = clip_view
        self.graphs = graphs
        self.progress = progress
        self._ask = callbacks
        r = runner
        r.started.connect(self._on_started)
        r.stage.connect(lambda clip, text: callbacks.status(callbacks.about(clip, text)))
        r.planned.connect(lambda clip, dur, n, frames, seconds: shown.is_live(clip)
                          and clip_view.set_plan(dur, n, frames, seconds))
        r.session_ready.connect(self._on_session)
        r.progress.connect(self._on_progress)
        r.view_ready.connect(self._on_view)
        r.finished.connect(self._on_finished)
        r.failed.connect(self._on_failed)
        r.cancelled.connect(self._on_cancelled)

    def show_summary(self, result: ClipResult) -> None:
        """Say in the status bar what made `result`: device, model, views, time."""
        self._ask.device_seen(result.device)
        m = result.model
        note = f" · {m.labels_note}" if m.labels_note else ""
        self._ask.status(f"{result.device.summary()} · {m.name} ({m.precision}) · {len(result.views)} views "
                         f"in {result.timings.total_ms / 1000:.1f} s{note}")

    def _still_running(self) -> None:
        self._ask.set_running(self.runner.running is not None)

    def _on_started(self, clip: Path) -> None:
        running = self.runner.running
        if self.shown.is_shown(clip) and running is not None:
            self.shown.run_started(running.options)
        self._ask.set_running(True)
        self.progress.setRange(0, 0)  # busy until the view count is known
        self._ask.status(self._ask.about(clip, "Starting…"))

    def _on_session(self, clip: Path, report: DeviceReport) -> None:
        self._ask.device_seen(report)
        running = self.runner.running
        if running is not None:  # views from here on are this model on this device
            self.graphs.start_run(f"{running.options.model_id} ({running.options.precision}) · {report.label}")
        self._ask.status(self._ask.about(clip, f"Classifying on {report.label}…"))

    def _on_progress(self, clip: Path, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if self.shown.is_live(clip):
            self.clip_view.set_active_view(done if done < total else None)

    def _on_view(self, clip: Path, view, running_top5, total: int) -> None:  # noqa: ANN001
        self.graphs.add_latency(view.inference_ms)
        if self.shown.is_live(clip):
            self.clip_view.add_view(view, running_top5, total)

    def _on_finished(self, clip: Path, result: ClipResult) -> None:
        self._still_running()
        # Open Recent offers clips that opened: a file that cannot be read is not worth reopening.
        self._ask.clip_opened(clip)
        if self.shown.is_shown(clip):
            self.shown.finish(self._ask.options(), result)
        else:  # a clip in the background: its outcome replaces its "Classifying…" (the next start replaces this)
            self._ask.status(f"{clip.name}: {summary(result)}")

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        self._still_running()
        self.shown.record_failure(clip, self._ask.options(), failure)
        if self.shown.is_shown(clip):
            self.shown.show_failure(clip, failure)
            self.shown.let_go(clip, "failed")
        # A clip in the background: its row and the status bar say it; the banner comes with the clip.
        self._ask.status(f"{clip.name}: {failure.message}")

    def _on_cancelled(self, clip: Path) -> None:
        self._still_running()
        running = self.runner.running
        if self.shown.holding and not (running is not None and running.clip == clip):
            self.shown.let_go(clip, "was cancelled")
        if running is None:
            self._ask.status(f"Cancelled {clip.name}.")
