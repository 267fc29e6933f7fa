"""The Library window's database work off the GUI thread: one serial lane, one connection.

Searching a large library, counting its files or adding a folder are quick, but not always
quicker than a frame, so they run here; each call's outcome comes back on the GUI thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from kinetoscope.engine.library.database import LibraryPaths, connect
from kinetoscope.ui.tasks import Failure, Lane, Op, Task


class LibraryReads(QObject):
    notice = Signal(str)     # a damaged database was set aside (one sentence)

    def __init__(self, paths: LibraryPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.lane = Lane("library", parent=self)
        self._db: sqlite3.Connection | None = None

    def run(self, job: Callable[[sqlite3.Connection], Any], done: Callable[[Any], None],
            failed: Callable[[Failure], None], *, name: str = "library") -> Task:
        """`job(connection)` on the lane; `done(result)` or `failed(failure)` on the GUI thread."""
        return (Op(self.lane, lambda ctx: job(self._connection(ctx)), name=name)
                .progress(self.notice.emit).success(done).failure(failed).run())

    def _connection(self, ctx) -> sqlite3.Connection:  # noqa: ANN001 - TaskContext
        if self._db is None:
            self._db, notice = connect(self.paths)
            if notice:
                ctx.report(notice)
        return self._db

    def shutdown(self) -> None:
        db = self._db
        self.lane.shutdown(last=(lambda: db.close()) if db is not None else None)
        self._db = None
