"""Taking clips out of the list, and putting the last ones taken back (Undo Remove).

A removal stops the clip that runs if it goes, forgets the clips' scans and failures, and keeps the
clips as the list showed them with their results, so Undo Remove restores both. What the window
shows afterwards (the successor, or nothing) it decides, through callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence

from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.ui.main.clip_queue import ClipQueue, ListedClip
from kinetoscope.ui.main.controls_pane import RunOptions
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.shown_result import ShownResult


@dataclass(frozen=True)
class RemovalCallbacks:
    """What a removal asks the window: the clip on show; to show another (`show_clip`) or none
    (`show_nothing`); that the list changed (`list_changed`: run the next, update the actions);
    and to say what happened (`status`)."""

    current_clip: Callable[[], Path | None]
    show_clip: Callable[[Path], None]
    show_nothing: Callable[[], None]
    list_changed: Callable[[], None]
    status: Callable[[str], None]


class ClipRemoval:
    """Remove and Undo Remove for the clip list; see the module's docstring."""

    def __init__(self, queue: ClipQueue, runner: ClipRunner, scans: ScanRunner, shown: ShownResult,
                 undo_action: QAction, callbacks: RemovalCallbacks) -> None:
        self.queue = queue
        self.runner = runner
        self.scans = scans
        self.shown = shown
        self.undo_action = undo_action
        self._ask = callbacks
        # The last removal: the clips as the list showed them, and their results.
        self._removed: tuple[list[ListedClip], dict[tuple[Path, RunOptions], ClipResult]] | None = None

    def remove(self, clips: Iterable[Path]) -> None:
        """Take `clips` out of the list: stop the one running, forget their results; the queue
        goes on with the rest.

        If the clip on show goes, the clip that takes its place in the list is shown as if clicked
        (its result, its live run, or a new run); with no clip left the window is empty again.
        """
        gone = set(clips) & set(self.queue.clips())
        if not gone:
            return
        self._removed = (self.queue.listed(gone), self.runner.results_of(gone))
        self.undo_action.setEnabled(True)
        successor = self.queue.remove_clips(gone)
        self.runner.forget(gone)
        self.scans.forget(gone)
        self.shown.forget_failures(gone)
        current = self._ask.current_clip()
        if current in gone:
            if successor is not None:
                self._ask.show_clip(successor)
            else:
                self._ask.show_nothing()
        elif current is not None:
            self.queue.select_clip(current)
        self._ask.list_changed()
        # Said last, so a successor's result does not hide how many went (a run's next stage will).
        names = next(iter(gone)).name if len(gone) == 1 else f"{len(gone)} clips"
        undo = self.undo_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self._ask.status(f"Removed {names} from the list. Undo Remove ({undo}) puts "
                         f"{'it' if len(gone) == 1 else 'them'} back.")

    def undo(self) -> None:
        """Put the clips of the last removal back where they stood, with the results they had."""
        if self._removed is None:
            return
        listed, results = self._removed
        self._removed = None
        self.undo_action.setEnabled(False)
        listed_now = set(self.queue.clips())  # a clip added again since keeps its newer results
        self.runner.keep({key: result for key, result in results.items() if key[0] not in listed_now})
        restored = self.queue.restore(listed)
        if not restored:
            return
        if self._ask.current_clip() is None:
            self._ask.show_clip(restored[0])
        self._ask.list_changed()
        names = restored[0].name if len(restored) == 1 else f"{len(restored)} clips"
        self._ask.status(f"Restored {names} to the list.")
