"""Taking clips out of the list, and putting the last ones taken back (Undo Remove).

A removal stops the job that runs on a clip that goes and takes the clips' records out of the store
whole (results, failure, scan), so Undo Remove puts them back as they were. What the window shows
afterwards it decides: `show(clip)` asks for a clip to be shown, `emptied` says none is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from kinetoscope.ui.main.clip_records import ClipStore, Removed
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.shown_clip import StatusLine


class ClipRemoval(QObject):
    """Remove and Undo Remove for the clip list; see the module's docstring."""

    show = Signal(Path)      # show this clip, as if clicked
    emptied = Signal()       # the clip on show went and none is left
    changed = Signal()       # the list changed: run the next, update the actions

    def __init__(self, store: ClipStore, runner: ClipRunner, scans: ScanRunner, undo_action: QAction,
                 status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.runner, self.scans = store, runner, scans
        self.undo_action = undo_action
        self.status = status
        self._removed: Removed | None = None  # the last removal

    def remove(self, clips: Iterable[Path]) -> None:
        """Take `clips` out of the list: stop the one running; the list goes on with the rest.

        If the clip on show goes, the clip that takes its place in the list is shown as if clicked
        (its result, its live run, or a new run); with no clip left the window is empty again.
        """
        gone = {clip for clip in clips if clip in self.store}
        if not gone:
            return
        removed = self._removed = self.store.remove(gone)  # first: a running clip is kept as running
        self.runner.forget(gone)
        self.scans.forget(gone)
        self.undo_action.setEnabled(True)
        if self.store.current in gone:
            first_row = removed.rows[0][0]
            if len(self.store):
                self.show.emit(self.store.at(min(first_row, len(self.store) - 1)).path)
            else:
                self.emptied.emit()
        self.changed.emit()
        # Said last, so a successor's result does not hide how many went (a run's next stage will).
        names = next(iter(gone)).name if len(gone) == 1 else f"{len(gone)} clips"
        undo = self.undo_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.status.setText(f"Removed {names} from the list. Undo Remove ({undo}) puts "
                        f"{'it' if len(gone) == 1 else 'them'} back.")

    def undo(self) -> None:
        """Put the clips of the last removal back where they stood, with what was known of them."""
        if self._removed is None:
            return
        removed, self._removed = self._removed, None
        self.undo_action.setEnabled(False)
        restored = self.store.restore(removed)
        if not restored:
            return
        if self.store.current is None:
            self.show.emit(restored[0])
        self.changed.emit()
        names = restored[0].name if len(restored) == 1 else f"{len(restored)} clips"
        self.status.setText(f"Restored {names} to the list.")
