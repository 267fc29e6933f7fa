"""The clip on show, on screen: its classification as it runs or as it stands, the banner about its
failure, and what runs say in the status bar, the progress bar and the live graphs.

What to show is decided from the clip's record (`clip_records.decide`); this draws it. A complete
result stays on show while its clip re-runs with other options, and after that re-run is cancelled
or fails ("holding"); the banner about a failure goes when another clip is shown. A clip classified
in the background is said in the status bar and on its row; its result comes with the clip.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from kinetoscope.engine.inference.results import ClipResult, DeviceReport
from kinetoscope.ui.main.clip_records import (ClipState, ClipStore, LiveRun, RunOptions, describe_options, run_label,
                                              summary)
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.progress_bar import ProgressBar


class StatusLine(QLabel):
    """The status bar's text; `about` names a clip unless it is the clip on show."""

    def __init__(self, store: ClipStore) -> None:
        super().__init__()
        self.store = store

    def about(self, clip: Path, text: str) -> str:
        return text if clip == self.store.current else f"{clip.name}: {text}"


class ShownClip(QObject):
    """Presents the clip on show and the runner's reports; see the module's docstring.

    `completed(result)` follows each complete result put on screen (the scan offer); `opened(clip)`
    each clip that classified (Open Recent offers only those); `device_seen(report)` each device a run
    used.
    """

    completed = Signal(object)   # ClipResult
    opened = Signal(Path)
    device_seen = Signal(object)  # DeviceReport

    def __init__(self, runner: ClipRunner, store: ClipStore, clip_view: ClipView, errors: ErrorPanel,
                 graphs: LiveGraphs, progress: ProgressBar, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner, self.store, self.clip_view, self.errors = runner, store, clip_view, errors
        self.graphs, self.progress, self.status = graphs, progress, status
        self.on_screen: tuple[RunOptions, ClipResult] | None = None
        self.holding = False  # a re-run of the shown clip runs while `on_screen` stays
        self._banner: tuple[Path, str] | None = None  # the clip the error banner is about, and its text
        r = runner
        r.started.connect(self._on_started)
        r.stage.connect(lambda clip, text: status.setText(status.about(clip, text)))
        r.planned.connect(lambda clip, dur, n, frames, seconds, crops: self.is_live(clip)
                          and clip_view.set_plan(dur, n, frames, seconds, crops))
        r.session_ready.connect(self._on_session)
        r.progress.connect(self._on_progress)
        r.view_ready.connect(lambda clip, view, top5, total: self._on_view(clip, view, top5, total))
        r.finished.connect(self._on_finished)
        r.failed.connect(self._on_failed)
        r.cancelled.connect(self._on_cancelled)

    def is_shown(self, clip: Path) -> bool:
        return clip == self.store.current

    def is_live(self, clip: Path) -> bool:
        """Whether the run of `clip` is drawn as it goes (not while a complete result is held)."""
        return self.is_shown(clip) and not self.holding

    # -- what the window asks for ------------------------------------------------------------
    def new_clip(self, clip: Path) -> None:
        """`clip` is now on show: nothing of the last one stays, nor the banner about its failure."""
        self.on_screen, self.holding = None, False
        self.clip_view.set_note("")
        if self._banner is not None and self._banner[0] != clip:
            self.dismiss_error_about({self._banner[0]})  # an error belongs to its clip

    def show_complete(self, options: RunOptions, result: ClipResult) -> None:
        """Show a complete result of the current clip, run with `options`, all at once."""
        self.holding = False
        self.on_screen = (options, result)
        self.clip_view.set_note("")
        self.clip_view.show_result(result)
        self._completed(result)

    def show_live(self, run: LiveRun) -> None:
        """Draw the run under way on the clip on show as far as it has got."""
        if run.views_total:
            self.clip_view.set_plan(run.info.duration_s if run.info else 0.0, run.views_total, *run.view_shape(),
                                    run.recipe.spatial_crops if run.recipe else 1)
        for view, top5 in run.views:
            self.clip_view.add_view(view, top5, run.views_total)

    def show_failure(self, clip: Path, failure: Failure) -> None:
        """Say in the banner that `clip` could not be classified."""
        text = f"Could not classify {clip.name}. {failure.message}"
        self.errors.show_message(text, failure.detail, hint=failure.hint)
        self._banner = (clip, text)

    def dismiss_error_about(self, clips: Collection[Path]) -> None:
        """Take the error banner away if it is about a failure of one of `clips`."""
        if self._banner is not None and self._banner[0] in clips and self.errors.message == self._banner[1]:
            self.errors.dismiss()

    def forget_failures(self, clips: Collection[Path]) -> None:
        """`clips` are run again: their failures, and the banner about them, go."""
        self.dismiss_error_about(set(clips))
        self.store.forget_failures(clips)

    # -- runs ------------------------------------------------------------------------------
    def _completed(self, result: ClipResult) -> None:
        """Say in the status bar what made `result` (device, model, views, time); offer a scan."""
        self.device_seen.emit(result.device)
        m = result.model
        note = f" · {m.labels_note}" if m.labels_note else ""
        self.status.setText(f"{result.device.summary()} · {m.name} ({m.precision}) · {len(result.views)} views "
                        f"in {result.timings.total_ms / 1000:.1f} s{note}")
        self.completed.emit(result)

    def _run_started(self, running_options: RunOptions) -> None:
        """A run of the shown clip started: with other options than the result on show, that
        result stays until the new one is complete; otherwise the view starts afresh."""
        if self.on_screen is not None and running_options != self.on_screen[0]:
            self.holding = True
            options, result = self.on_screen
            self.clip_view.set_note(f"Showing the result with {describe_options(options, len(result.views))}; "
                                    f"classifying with {describe_options(running_options)}…")
        else:
            self.holding = False
            self.on_screen = None
            self.clip_view.set_note("")
            self.clip_view.reset()

    def _let_go(self, clip: Path, what: str) -> None:
        """A re-run of the shown clip ended without a result (`what`: "was cancelled", "failed"):
        the complete result held on show stays, and says so."""
        self.holding = False
        if self.on_screen is None or not self.is_shown(clip):
            return
        options, result = self.on_screen
        self.clip_view.set_note(f"Showing the earlier result ({describe_options(options, len(result.views))}); "
                                f"the run with the new options {what}. Run Again tries them again.")
        if what != "failed":  # a failure stays on the row (and in the banner): these options fail
            self.store.set_state(clip, ClipState.DONE, result)

    def _on_started(self, clip: Path) -> None:
        running = self.runner.running
        if self.is_shown(clip) and running is not None:
            self._run_started(running.options)
        self.progress.setRange(0, 0)  # busy until the view count is known
        self.status.setText(self.status.about(clip, "Starting…"))

    def _on_session(self, clip: Path, report: DeviceReport) -> None:
        self.device_seen.emit(report)
        running = self.runner.running
        if running is not None:  # views from here on are this model on this device
            self.graphs.start_run(run_label(running.options, report.label))
        self.status.setText(self.status.about(clip, f"Classifying on {report.label}…"))

    def _on_progress(self, clip: Path, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if self.is_live(clip):
            self.clip_view.set_active_view(done if done < total else None)

    def _on_view(self, clip: Path, view, running_top5, total: int) -> None:  # noqa: ANN001
        self.graphs.add_latency(view.inference_ms)
        if self.is_live(clip):
            self.clip_view.add_view(view, running_top5, total)

    def _on_finished(self, clip: Path, result: ClipResult) -> None:
        # Open Recent offers clips that opened: a file that cannot be read is not worth reopening.
        self.opened.emit(clip)
        record = self.store.get(clip)
        made = record.latest_result() if record is not None else None
        if not self.is_shown(clip) or made is None:
            # A clip in the background: its outcome replaces its "Classifying…" (the next start replaces this).
            self.status.setText(f"{clip.name}: {summary(result)}")
        elif self.holding:
            self.show_complete(made[0], result)
        else:
            self.on_screen = made
            self.clip_view.finish(result)
            self._completed(result)

    def _on_failed(self, clip: Path, failure: Failure) -> None:
        if self.is_live(clip):
            self.clip_view.stopped("failed")
        if self.is_shown(clip):
            self.show_failure(clip, failure)
            self._let_go(clip, "failed")
        # A clip in the background: its row and the status bar say it; the banner comes with the clip.
        self.status.setText(f"{clip.name}: {failure.message}")

    def _on_cancelled(self, clip: Path) -> None:
        running = self.runner.running
        if self.holding and not (running is not None and running.clip == clip):
            self._let_go(clip, "was cancelled")
        elif self.is_live(clip) and running is None:
            self.clip_view.stopped("cancelled")
        if running is None:
            self.status.setText(f"Cancelled {clip.name}.")
