"""The one way the Qt layer runs work off the GUI thread: lanes of worker threads and their tasks.

    lane = Lane("benchmark", parent=view)             # serial: one thread, jobs in the order asked
    task = lane.submit(lambda ctx: slow(cancel=ctx.token, on_progress=ctx.report), name="slow")
    task.progress.connect(...)    # whatever the job passed to ctx.report
    task.succeeded.connect(...)   # the job's return value
    task.failed.connect(...)      # a Failure: message for people, technical detail
    task.cancelled.connect(...)

Every signal of a `Task` is emitted on the GUI thread, in the order the job produced it, and each
task ends with exactly one of `succeeded`, `failed` or `cancelled`, then `ended`. Connecting right
after `submit` is always in time: nothing is delivered before the GUI thread's loop turns again.

A lane with one worker is serial and keeps that one thread for its whole life, so state a job
leaves behind (cached inference sessions) is only ever touched, and released, on that thread.
Lanes with more workers run jobs side by side (downloads). Cancelling is cooperative: the job's
`CancelToken` is set and the engine stops at its next check; no thread is ever killed.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled, KinetoscopeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """What went wrong, in words for people, with the technical detail for the curious and the log."""

    message: str
    detail: str = ""
    resumable: bool = False  # a download that can continue where it stopped
    unexpected: bool = False  # not an engine error: a bug, or a library's own exception
    hint: str = ""  # what the person can do about it, shown before the detail


def describe(exc: BaseException) -> Failure:
    """The one mapping from an exception to words: engine errors carry theirs; anything else is a bug."""
    if isinstance(exc, KinetoscopeError):
        return Failure(exc.message, exc.detail or "", bool(getattr(exc, "resumable", False)), hint=exc.hint)
    return Failure(f"Unexpected error: {exc}",
                   "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), unexpected=True)


@dataclass(frozen=True)
class TaskContext:
    """What a job gets: its cancel token and a way to report progress to the GUI thread."""

    token: CancelToken
    report: Callable[[Any], None]

    def raise_if_cancelled(self) -> None:
        self.token.raise_if_cancelled()


Job = Callable[[TaskContext], Any]

_PROGRESS, _SUCCEEDED, _FAILED, _CANCELLED = range(4)


class Task(QObject):
    """One job on a lane, as the GUI thread sees it. Signals always arrive on the GUI thread."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)      # Failure
    cancelled = Signal()
    ended = Signal()             # after any of the three outcomes

    _from_worker = Signal(int, object)

    def __init__(self, name: str, lane: Lane | None = None) -> None:
        super().__init__()
        self.setObjectName(name)
        self._lane = lane
        self.token = CancelToken()
        self._job_done = threading.Event()  # set on the worker thread when the job has returned
        self._done = False
        self._from_worker.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def name(self) -> str:
        return self.objectName()

    @property
    def done(self) -> bool:
        """True once the outcome has been delivered on the GUI thread."""
        return self._done

    def cancel(self) -> None:
        """Ask the job to stop at its next check; it then ends with `cancelled` (or its outcome)."""
        self.token.cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job has returned on its thread. Only for shutdown and tests."""
        return self._job_done.wait(timeout_s)

    # -- worker side ------------------------------------------------------------------------
    def _run(self, job: Job) -> None:
        ctx = TaskContext(self.token, lambda value: self._from_worker.emit(_PROGRESS, value))
        try:
            self.token.raise_if_cancelled()  # cancelled while it waited in the queue
            result = job(ctx)
        except Cancelled:
            log.info("%s cancelled", self.name)
            self._from_worker.emit(_CANCELLED, None)
        except KinetoscopeError as exc:
            failure = describe(exc)
            log.warning("%s failed: %s (%s)", self.name, failure.message, failure.detail or "no detail")
            self._from_worker.emit(_FAILED, failure)
        except Exception as exc:  # a bug: keep the lane alive, tell the window, log everything
            log.exception("%s crashed", self.name)
            self._from_worker.emit(_FAILED, describe(exc))
        else:
            self._from_worker.emit(_SUCCEEDED, result)
        finally:
            self._job_done.set()

    # -- GUI side ---------------------------------------------------------------------------
    @Slot(int, object)
    def _deliver(self, kind: int, value: object) -> None:
        if self._lane is not None and not shiboken6.isValid(self._lane):
            return  # the lane's owner (a window, a widget) is gone: nobody to tell
        if kind == _PROGRESS:
            self.progress.emit(value)
            return
        self._done = True
        if kind == _SUCCEEDED:
            self.succeeded.emit(value)
        elif kind == _FAILED:
            self.failed.emit(value)
        else:
            self.cancelled.emit()
        self.ended.emit()


def follow_while(task: Task, current: Callable[[], bool], *, progress: Callable[[Any], None],
                 succeeded: Callable[[Any], None], failed: Callable[[Failure], None],
                 cancelled: Callable[[], None]) -> None:
    """Connect `task`'s reports to handlers that run only while `current()` holds: a runner that
    stopped or replaced the job (its outcome still arrives later) ignores what it says."""
    task.progress.connect(lambda event: progress(event) if current() else None)
    task.succeeded.connect(lambda result: succeeded(result) if current() else None)
    task.failed.connect(lambda failure: failed(failure) if current() else None)
    task.cancelled.connect(lambda: cancelled() if current() else None)


_STOP = object()


@dataclass(frozen=True)
class _Last:
    fn: Callable[[], None]


IDLE_TIMEOUT_S = 30.0


class Lane(QObject):
    """Named worker threads that run submitted jobs in order; `workers=1` makes it serial.

    Threads start when work arrives and end after `idle_timeout_s` without any; a lane whose jobs
    leave state on their thread (the engine's sessions) passes None to keep its thread until
    `shutdown`.
    """

    def __init__(self, name: str, workers: int = 1, parent: QObject | None = None, *,
                 idle_timeout_s: float | None = IDLE_TIMEOUT_S) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._workers = max(1, workers)
        self._idle_timeout_s = idle_timeout_s
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._tasks: set[Task] = set()  # submitted and not ended; holds them alive until delivery
        self._closed = False

    @property
    def name(self) -> str:
        return self.objectName()

    def submit(self, job: Job, *, name: str = "") -> Task:
        """Queue `job(ctx)`; returns its task, whose signals arrive on the GUI thread."""
        task = Task(f"{self.name}: {name or getattr(job, '__name__', 'job')}", self)
        self._tasks.add(task)  # held until its outcome is delivered
        task.ended.connect(lambda: self._tasks.discard(task))
        if self._closed:  # a late follow-up (an outcome arriving after shutdown): it never runs
            task.token.cancel()
            task._run(job)  # noqa: SLF001 - ends at once with `cancelled`, delivered like any outcome
            return task
        thread = None
        with self._lock:
            self._queue.put((task, job))
            # More jobs waiting than idle threads to take them: another thread, up to the limit.
            if self._queue.qsize() > self._idle and len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, name=f"kinetoscope-{self.name}", daemon=True)
                self._threads.append(thread)
                self._idle += 1
        if thread is not None:
            thread.start()
        return task

    def busy(self) -> bool:
        """Whether any task submitted here has not yet delivered its outcome."""
        return bool(self._tasks)

    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def shutdown(self, timeout_s: float = 20.0, *, last: Callable[[], None] | None = None) -> bool:
        """Cancel every task, run `last` on the lane's thread (releasing what it holds), stop.

        Waits for each thread at most `timeout_s`: the engine checks its token often, so one
        inference or one model load is the longest wait. False if a thread was still busy then.
        """
        if self._closed:
            return True
        self._closed = True
        self.cancel_all()
        if last is not None and self._threads:
            self._queue.put(_Last(last))
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        ok = True
        for thread in threads:
            thread.join(timeout_s)
            if thread.is_alive():
                log.error("the %s lane's thread did not stop within %.0f s", self.name, timeout_s)
                ok = False
        return ok

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            try:
                item = self._queue.get(timeout=self._idle_timeout_s)
            except queue.Empty:
                with self._lock:  # submit queues and counts under the same lock
                    if not self._queue.empty():
                        continue
                    self._idle -= 1
                    self._threads.remove(me)
                    return
            with self._lock:
                self._idle -= 1
            if item is _STOP:
                return
            if isinstance(item, _Last):
                try:
                    item.fn()
                except Exception:  # shutting down: log it, stop anyway
                    log.exception("the %s lane's last job failed", self.name)
            else:
                task, job = item
                task._run(job)  # noqa: SLF001 - the lane is the task's runner
            with self._lock:
                self._idle += 1
