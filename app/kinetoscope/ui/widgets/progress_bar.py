"""A progress bar that never paints the window from inside a report handler.

`QProgressBar.setValue` (and `reset`, which `setRange` may call) repaints at once, with
`QWidget::repaint`, whenever the bar's look changes. A synchronous repaint flushes every dirty widget
of the window, so a burst of reports from a worker — a view done, the frame strip and timeline marked
dirty, the bar moved, twelve times in one event-loop turn — paints the whole window twelve times
before the loop gets control back (100-150 ms on the GUI thread, measured by the lag probe). This bar
takes the new value with updates held and asks for an ordinary `update()`, which Qt coalesces with
every other dirty widget into one paint on the next turn.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


class ProgressBar(QProgressBar):
    """`QProgressBar` whose `setValue`/`setRange` schedule a paint instead of painting."""

    def setValue(self, value: int) -> None:  # noqa: N802 (Qt's name)
        self.setUpdatesEnabled(False)  # repaint() is a no-op while updates are held
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)  # which schedules update()

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802 (Qt's name)
        self.setUpdatesEnabled(False)
        try:
            super().setRange(minimum, maximum)
        finally:
            self.setUpdatesEnabled(True)
