"""Which classification result is on screen, and which failure the error banner is about.

A complete result stays on show while its clip re-runs with other options, and after that re-run is
cancelled or fails ("holding"); a failed clip's failure is kept with the options it failed with,
shown again when the clip is, and the banner about it goes when another clip is shown.
The window asks; this keeps the bookkeeping and draws on the clip view, the list and the banner.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.ui.main.clip_queue import ClipQueue, ClipState
from kinetoscope.ui.main.clip_view import ClipView
from kinetoscope.ui.main.controls_pane import RunOptions
from kinetoscope.ui.main.runner import summary
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.error_panel import ErrorPanel


def describe_options(options: RunOptions, views: int | None = None) -> str:
    """What a run used, in a few words: "motion_demo (float) on CPU, 5 views"."""
    count = views if views is not None else options.views
    views_text = f"{count} views" if count else "the model's views"
    return f"{options.model_id} ({options.precision}) on {options.device.upper()}, {views_text}"


class ShownResult:
    """The clip on show's complete result and failures; see the module's docstring.

    `current_clip` says which clip is on show; `completed` is called with each complete result
    put on screen (the window's summary and scan offer).
    """

    def __init__(self, clip_view: ClipView, queue: ClipQueue, errors: ErrorPanel, *,
                 current_clip: Callable[[], Path | None], completed: Callable[[ClipResult], None]) -> None:
        self.clip_view = clip_view
        self.queue = queue
        self.errors = errors
        self._current_clip = current_clip
        self._completed = completed
        self.on_screen: tuple[RunOptions, ClipResult] | None = None
        self.holding = False  # a re-run of the shown clip runs while `on_screen` stays
        self._failures: dict[Path, tuple[RunOptions, Failure]] = {}
        self._banner: tuple[Path, str] | None = None  # the clip the error banner is about, and its text

    # -- the clip on show ------------------------------------------------------------------
    def is_shown(self, clip: Path) -> bool:
        return clip == self._current_clip()

    def is_live(self, clip: Path) -> bool:
        """Whether the run of `clip` is drawn as it goes (not while a complete result is held)."""
        return self.is_shown(clip) and not self.holding

    def new_clip(self, clip: Path) -> None:
        """`clip` is now on show: nothing of the last one stays, nor the banner about its failure."""
        self.on_screen, self.holding = None, False
        self.clip_view.set_note("")
        if self._banner is not None and self._banner[0] != clip:
            self.dismiss_error_about({self._banner[0]})  # an error belongs to its clip

    def show_complete(self, options: RunOptions | None, result: ClipResult) -> None:
        """Show a complete result of the current clip, run with `options`, all at once."""
        self.holding = False
        self.on_screen = (options, result) if options is not None else None
        self.clip_view.set_note("")
        self.clip_view.show_result(result)
        self._completed(result)

    def finish(self, options: RunOptions | None, result: ClipResult) -> None:
        """The shown clip's run completed: finish drawing it, or replace the result held on show."""
        if self.holding or options is None:
            self.show_complete(options, result)
            return
        self.on_screen = (options, result)
        self.clip_view.finish(result)
        self._completed(result)

    def run_started(self, running_options: RunOptions) -> None:
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

    def let_go(self, clip: Path, what: str) -> None:
        """A re-run of the shown clip ended without a result (`what`: "was cancelled", "failed"):
        the complete result held on show stays, and says so."""
        self.holding = False
        if self.on_screen is None or not self.is_shown(clip):
            return
        options, result = self.on_screen
        self.clip_view.set_note(f"Showing the earlier result ({describe_options(options, len(result.views))}); "
                                f"the run with the new options {what}. Run Again tries them again.")
        if what != "failed":  # a failure stays on the row (and in the banner): these options fail
            self.queue.set_state(clip, ClipState.DONE, summary(result))

    # -- failures --------------------------------------------------------------------------
    def record_failure(self, clip: Path, options: RunOptions | None, failure: Failure) -> None:
        """Keep `clip`'s failure with the options it failed with, to show again with the clip."""
        if options is not None:
            self._failures[clip] = (options, failure)

    def failure_for(self, clip: Path, options: RunOptions) -> Failure | None:
        """`clip`'s failure, if it failed with `options`."""
        failed = self._failures.get(clip)
        return failed[1] if failed is not None and failed[0] == options else None

    def failure_messages(self) -> dict[Path, str]:
        """Each failed clip's message, for the results export."""
        return {clip: failure.message for clip, (_options, failure) in self._failures.items()}

    def forget_failures(self, clips: Collection[Path]) -> None:
        """`clips` left the list or run again: their failures, and the banner about them, go."""
        self.dismiss_error_about(set(clips))
        for clip in clips:
            self._failures.pop(clip, None)

    def show_failure(self, clip: Path, failure: Failure) -> None:
        """Say in the banner that `clip` could not be classified."""
        text = f"Could not classify {clip.name}. {failure.message}"
        self.errors.show_message(text, failure.detail, hint=failure.hint)
        self._banner = (clip, text)

    def dismiss_error_about(self, clips: Collection[Path]) -> None:
        """Take the error banner away if it is about a failure of one of `clips`."""
        if self._banner is not None and self._banner[0] in clips and self.errors.message == self._banner[1]:
            self.errors.dismiss()
