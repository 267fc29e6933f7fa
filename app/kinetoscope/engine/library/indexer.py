"""The indexer: scans the library's new and changed files with one model, a file per transaction.

It runs on whatever thread calls `run` (the CLI's main thread, a window's worker). It first syncs
the file list with the disk (`folders.sync`), then scans each file that has no scan by this model
through the same engine as `kinetoscope scan` (`VideoClassifier.scan`), and writes each file's
scan in one transaction as soon as it is done. So a kill mid-file loses only that file's work: the
next run finds it still unscanned. `pause`, `resume` and `cancel` may be called from any thread;
they take effect between windows. Only one indexer runs per library at a time (a file lock), while
any number of readers search.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import BadInput, Busy, Cancelled
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.results import ModelRef
from kinetoscope.engine.inference.scan import ScanProgress, SegmentRule
from kinetoscope.engine.library.database import LibraryPaths, connect, transaction
from kinetoscope.engine.library.folders import SyncReport, sync
from kinetoscope.engine.library.store import ModelKey, model_row, write_scan
from kinetoscope.engine.media.video import probe
from kinetoscope.engine.modelfiles.file_lock import FileLock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run is: files and seconds of video done of the total, and the time left."""

    files_done: int
    files_total: int
    seconds_done: float
    seconds_total: float
    eta_s: float | None      # None until a first stretch of video has been timed
    current: str             # the file being scanned ("" between files)
    paused: bool = False

    def text(self) -> str:
        hours = f"{self.seconds_done / 3600:.2f} of {self.seconds_total / 3600:.2f} h"
        eta = "" if self.eta_s is None else f", about {_duration_text(self.eta_s)} left"
        state = " (paused)" if self.paused else ""
        return f"Indexing file {min(self.files_done + 1, self.files_total)} of {self.files_total}, {hours}{eta}{state}"


@dataclass(frozen=True)
class FileIndexed:
    """One file finished: scanned and committed (`segments` found), or failed with `error`."""

    path: Path
    duration_s: float
    segments: int = 0
    error: str = ""


@dataclass(frozen=True)
class IndexReport:
    sync: SyncReport
    model: str
    indexed: int
    failed: int
    remaining: int
    seconds_indexed: float
    elapsed_s: float
    cancelled: bool
    notice: str = ""         # set when a damaged database was set aside


def _duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s" if m else f"{s} s"


def unscanned(db: sqlite3.Connection, model: int) -> list[tuple[int, str, float]]:
    """(file id, path, header duration) of each readable file `model` (a models row) has not scanned."""
    return db.execute(
        "SELECT f.id, f.path, coalesce(f.duration_s, 0) FROM files f WHERE f.error IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM scans s WHERE s.file_id = f.id AND s.model = ?) ORDER BY f.path", (model,)).fetchall()


class Indexer:
    """Scans the library's unscanned files with `classifier`; see the module's docstring."""

    def __init__(self, paths: LibraryPaths, classifier: VideoClassifier, *, every_s: float | None = None,
                 rule: SegmentRule = SegmentRule(),
                 on_progress: Callable[[IndexProgress], None] | None = None,
                 on_file: Callable[[FileIndexed], None] | None = None, cancel: CancelToken | None = None) -> None:
        self.paths = paths
        self.classifier = classifier
        self.every_s = every_s
        self.rule = rule
        self.on_progress = on_progress
        self.on_file = on_file
        self._cancel = cancel or CancelToken()   # a task's own token, when it runs on one
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def cancel(self) -> None:
        self._cancel.cancel()
        self._running.set()

    def run(self) -> IndexReport:
        """Sync, then scan every file this model has not scanned. Raises Busy when another indexer
        holds the library; returns (cancelled=True) when cancelled, the finished files kept."""
        lock = FileLock(self.paths.index_lock)
        self.paths.folder.mkdir(parents=True, exist_ok=True)
        if not lock.try_acquire(wait_s=0.5):
            raise Busy("Another Kinetoscope window or command is indexing this library now; "
                       "it goes on there (wait for it, or stop it first).")
        db, notice = connect(self.paths)
        try:
            return self._run(db, notice)
        finally:
            db.close()
            lock.release()

    def _run(self, db: sqlite3.Connection, notice: str) -> IndexReport:
        started = time.monotonic()
        report = sync(db)
        ref = ModelRef.of(self.classifier.bundle, self.classifier.recipe)
        with transaction(db):
            model = model_row(db, ModelKey.of(ref, tuple(self.classifier.bundle.labels)))
        todo = unscanned(db, model)
        total_s = sum(d for _, _, d in todo)
        done_s = 0.0
        indexed = 0
        failed = len(report.unreadable)     # found by the sync: listed now, and never again unless changed
        if self.on_file is not None:
            for path, error in report.unreadable:
                self.on_file(FileIndexed(Path(path), 0.0, error=error))
        clock = _RunClock()
        cancelled = False
        for n, (file_id, path, header_s) in enumerate(todo):
            path = Path(path)

            def window_progress(p: ScanProgress, n: int = n, path: Path = path) -> None:
                self._wait_while_paused(n, len(todo), done_s, total_s, clock)
                self._report(n, len(todo), done_s + p.position_s, total_s, clock, path.name, p.position_s)

            try:
                self._wait_while_paused(n, len(todo), done_s, total_s, clock)
                result = self.classifier.scan(path, every_s=self.every_s, rule=self.rule, cancel=self._cancel,
                                              on_progress=window_progress, info=probe(path))
            except Cancelled:
                cancelled = True
                break
            except BadInput as exc:
                with transaction(db):
                    db.execute("UPDATE files SET error = ? WHERE id = ?", (exc.message, file_id))
                failed += 1
                done_s += header_s
                clock.file_done(header_s)
                log.info("library: %s cannot be indexed: %s", path, exc.message)
                if self.on_file is not None:
                    self.on_file(FileIndexed(path, header_s, error=exc.message))
                continue
            write_scan(db, file_id, result)
            indexed += 1
            done_s += header_s
            clock.file_done(header_s, result.clip_duration_s)
            if self.on_file is not None:
                self.on_file(FileIndexed(path, result.clip_duration_s, len(result.segments)))
            del result   # a long clip's windows are megabytes; nothing of it outlives its file
        finished = indexed + failed - len(report.unreadable)
        self._report(finished, len(todo), done_s, total_s, clock, "", 0.0)
        return IndexReport(report, ref.name, indexed, failed, len(todo) - finished, clock.seconds,
                           time.monotonic() - started, cancelled, notice)

    def _wait_while_paused(self, n: int, total: int, done_s: float, total_s: float, clock: _RunClock) -> None:
        if self._running.is_set():
            self._cancel.raise_if_cancelled()
            return
        clock.pause()
        self._report(n, total, done_s, total_s, clock, "", 0.0, paused=True)
        while not self._running.wait(0.2) and not self._cancel.cancelled:
            pass   # a token cancelled elsewhere (a task's) ends the pause too
        clock.resume()
        self._cancel.raise_if_cancelled()

    def _report(self, n: int, total: int, done_s: float, total_s: float, clock: _RunClock, current: str,
                position_s: float, paused: bool = False) -> None:
        if self.on_progress is not None:
            self.on_progress(IndexProgress(n, total, done_s, total_s, clock.eta(total_s - done_s, position_s),
                                           current, paused))


class _RunClock:
    """Seconds of video scanned per second of work (paused time left out), for the time left."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.paused_s = 0.0
        self._paused_at: float | None = None
        self.seconds = 0.0       # of video, in finished files

    def pause(self) -> None:
        self._paused_at = time.monotonic()

    def resume(self) -> None:
        if self._paused_at is not None:
            self.paused_s += time.monotonic() - self._paused_at
            self._paused_at = None

    def file_done(self, header_s: float, scanned_s: float | None = None) -> None:
        self.seconds += header_s if scanned_s is None else scanned_s

    def eta(self, left_s: float, position_s: float) -> float | None:
        worked = time.monotonic() - self.started - self.paused_s
        done = self.seconds + position_s
        if done <= 0 or worked <= 0:
            return None
        return max(0.0, left_s) * worked / done
