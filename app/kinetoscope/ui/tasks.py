"""How the Qt layer runs work off the GUI thread: lanes of worker threads, and `Op`, the one call
that says a job and what to do with its outcome (every background job in `ui/` goes through it,
except the camera's live classifier, whose engine object streams on a thread of its own):

    lane = Lane("benchmark", parent=view)             # serial: one thread, jobs in the order asked
    (Op(lane, lambda ctx: slow(cancel=ctx.token, on_progress=ctx.report), name="slow")
     .progress(show_step)       # whatever the job passed to ctx.report
     .success(show_result)      # the job's return value
     .failure(say_why)          # a Failure: message for people, technical detail
     .newest_in(slot)           # only the newest job of this kind is heard (`Newest`)
     .run())

A failure given no handler goes to the lane's `unhandled` signal, which the lane's owner connects to
its error panel: no failure is only logged. `BatchedReport` is the one throttle for jobs that make
progress faster than a GUI can show it.

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled, KinetoscopeError
from kinetoscope.ui.failure import Failure, describe

log = logging.getLogger(__name__)


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


class Newest:
    """"Newest job wins": the one task of a kind whose reports count. A task replaced by a newer one,
    or dropped, still ends later (cancelling is cooperative); whatever it reports then is ignored."""

    def __init__(self) -> None:
        self.task: Task | None = None

    def follow(self, task: Task, *, progress: Callable[[Any], None] | None = None,
               succeeded: Callable[[Any], None] | None = None, failed: Callable[[Failure], None] | None = None,
               cancelled: Callable[[], None] | None = None,
               superseded: Callable[[Any], None] | None = None) -> Task:
        """Make `task` the newest; each handler runs only while it still is (it is forgotten first,
        so an outcome's handler may start the next task). `superseded` gets the result of a task
        that succeeded after it was replaced or dropped (to release what it made)."""
        self.task = task

        def outcome(handler: Callable[..., None] | None, stale: Callable[..., None] | None = None
                    ) -> Callable[..., None]:
            def deliver(*args: Any) -> None:
                if self.task is task:
                    self.task = None
                    if handler is not None:
                        handler(*args)
                elif stale is not None:
                    stale(*args)
            return deliver

        if progress is not None:
            task.progress.connect(lambda value: progress(value) if self.task is task else None)
        task.succeeded.connect(outcome(succeeded, superseded))
        task.failed.connect(outcome(failed))
        task.cancelled.connect(outcome(cancelled))
        return task

    def drop(self) -> Task | None:
        """Cancel the newest task and forget it (its outcome is ignored); returns it, if any."""
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
        return task


class Op:
    """One background job, said in one expression, in the spirit of Anki's `QueryOp`::

        Op(lane, job, name="scan").progress(on_event).success(show).failure(say).run()

    Handlers run on the GUI thread. A failure with no `failure` handler goes to the lane's
    `unhandled` signal, which the owner of the lane connects to its error panel: a failure is never
    only logged. `newest_in(slot)` makes the job the newest of its kind (see `Newest`).
    """

    def __init__(self, lane: Lane, job: Job, *, name: str = "") -> None:
        self._lane, self._job, self._name = lane, job, name
        self._progress: Callable[[Any], None] | None = None
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[Failure], None] | None = None
        self._cancelled: Callable[[], None] | None = None
        self._slot: Newest | None = None
        self._superseded: Callable[[Any], None] | None = None

    def progress(self, handler: Callable[[Any], None]) -> Op:
        self._progress = handler
        return self

    def success(self, handler: Callable[[Any], None]) -> Op:
        self._success = handler
        return self

    def failure(self, handler: Callable[[Failure], None]) -> Op:
        self._failure = handler
        return self

    def cancelled(self, handler: Callable[[], None]) -> Op:
        self._cancelled = handler
        return self

    def newest_in(self, slot: Newest, *, superseded: Callable[[Any], None] | None = None) -> Op:
        self._slot, self._superseded = slot, superseded
        return self

    def run(self) -> Task:
        """Queue the job on the lane; returns its task."""
        task = self._lane.submit(self._job, name=self._name)
        slot = self._slot or Newest()  # a job of its own kind: always the newest
        return slot.follow(task, progress=self._progress, succeeded=self._success,
                           failed=self._failure or self._lane.unhandled.emit, cancelled=self._cancelled,
                           superseded=self._superseded)


# How often a job hands its progress to the GUI thread at most: a fast model makes hundreds of
# results a second, and one queued event each would outpace the GUI thread and bury the outcome.
REPORT_INTERVAL_S = 0.1


class BatchedReport:
    """The one throttled progress report: items a job makes are passed to `ctx.report` together, at
    most every `interval_s`, as `make(items)` (the list itself by default); `flush()` sends the
    rest (call it last, also after an error or a cancel: what was made is still shown)."""

    def __init__(self, ctx: TaskContext, make: Callable[[list[Any]], Any] = list,
                 interval_s: float = REPORT_INTERVAL_S) -> None:
        self._ctx, self._make, self.interval_s = ctx, make, interval_s
        self.pending: list[Any] = []
        self._sent = time.monotonic()

    def add(self, item: Any) -> None:
        self.pending.append(item)
        if time.monotonic() - self._sent >= self.interval_s:
            self.flush()

    def flush(self, *, always: bool = False) -> None:
        """Report what is pending (with `always`, even nothing: a report of how far the job got)."""
        if self.pending or always:
            items, self.pending = self.pending, []
            self._ctx.report(self._make(items))
        self._sent = time.monotonic()


_STOP = object()


@dataclass(frozen=True)
class _Last:
    fn: Callable[[], None]


IDLE_TIMEOUT_S = 30.0


class Lane(QObject):
    """Named worker threads that run submitted jobs in order; `workers=1` makes it serial.

    `unhandled` carries the failures of `Op`s given no failure handler; whoever owns the lane
    connects it to an error panel.

    Threads start when work arrives and end after `idle_timeout_s` without any; a lane whose jobs
    leave state on their thread (the engine's sessions) passes None to keep its thread until
    `shutdown`.
    """

    unhandled = Signal(object)  # Failure

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
