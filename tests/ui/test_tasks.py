"""The task API (`kinetoscope.ui.tasks`) and the latest-wins hand-off (`kinetoscope.ui.latest`)."""

from __future__ import annotations

import threading
import time

import pytest

from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.ui.latest import LatestValue
from kinetoscope.ui.tasks import Failure, Lane, TaskContext, describe


@pytest.fixture
def lane(qtbot):
    lanes: list[Lane] = []

    def make(name: str = "test", workers: int = 1, **kwargs) -> Lane:  # noqa: ANN003
        made = Lane(name, workers, **kwargs)
        lanes.append(made)
        return made

    yield make
    for made in lanes:
        made.shutdown(5)


def test_a_serial_lane_runs_in_order_on_one_thread_and_reports_on_the_gui_thread(qtbot, lane):
    engine = lane("engine", idle_timeout_s=None)
    ran_on: list[str] = []
    events: list[tuple[str, object, bool]] = []
    gui = threading.current_thread()

    def job(n: int):  # noqa: ANN202
        def run(ctx: TaskContext) -> int:
            ran_on.append(threading.current_thread().name)
            ctx.report(f"step {n}")
            return n * 10
        return run

    tasks = [engine.submit(job(n), name=f"job {n}") for n in range(3)]
    for task in tasks:  # connected after submit: still in time
        task.progress.connect(lambda v: events.append(("progress", v, threading.current_thread() is gui)))
        task.succeeded.connect(lambda v: events.append(("succeeded", v, threading.current_thread() is gui)))
    qtbot.waitUntil(lambda: not engine.busy(), timeout=5000)
    assert len(set(ran_on)) == 1 and ran_on[0].startswith("kinetoscope-engine")
    assert events == [(kind, value, True) for n in range(3)
                      for kind, value in (("progress", f"step {n}"), ("succeeded", n * 10))]
    assert all(task.done for task in tasks)


def test_failures_become_words_and_cancel_is_cooperative(qtbot, lane):
    work = lane()
    failures: list[Failure] = []
    def broken_clip(_ctx: TaskContext) -> None:
        raise KinetoscopeError("The clip is broken.", detail="moov atom not found")

    failing = work.submit(broken_clip)
    failing.failed.connect(failures.append)
    crashing = work.submit(lambda _ctx: 1 / 0)
    crashing.failed.connect(failures.append)
    started = threading.Event()

    def long_job(ctx: TaskContext) -> None:
        started.set()
        while True:
            ctx.raise_if_cancelled()
            time.sleep(0.01)

    cancelled: list[bool] = []
    slow = work.submit(long_job)
    slow.cancelled.connect(lambda: cancelled.append(True))
    assert started.wait(5)
    slow.cancel()
    qtbot.waitUntil(lambda: bool(cancelled) and len(failures) == 2, timeout=5000)
    assert failures[0] == Failure("The clip is broken.", "moov atom not found")
    assert failures[1].unexpected and "ZeroDivisionError" in failures[1].detail
    assert describe(ValueError("x")).message == "Unexpected error: x"


def test_a_parallel_lane_runs_jobs_side_by_side(qtbot, lane):
    downloads = lane("downloads", workers=2)
    both = threading.Barrier(2, timeout=5)
    done: list[int] = []
    for n in range(2):
        downloads.submit(lambda _ctx, n=n: both.wait() or n).succeeded.connect(done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)  # each waited for the other: they overlapped


def test_shutdown_runs_the_last_job_on_the_lane_thread(qtbot):
    engine = Lane("engine", idle_timeout_s=None)
    where: list[str] = []
    engine.submit(lambda _ctx: where.append(threading.current_thread().name))
    qtbot.waitUntil(lambda: not engine.busy(), timeout=5000)
    assert engine.shutdown(5, last=lambda: where.append(threading.current_thread().name))
    assert len(where) == 2 and where[0] == where[1]
    late: list[bool] = []
    engine.submit(lambda _ctx: None).cancelled.connect(lambda: late.append(True))  # after shutdown: never runs
    qtbot.waitUntil(lambda: late == [True], timeout=2000)


def test_latest_value_delivers_only_the_newest(qtbot):
    latest = LatestValue()
    got: list[int] = []
    latest.arrived.connect(got.append)
    producer = threading.Thread(target=lambda: [latest.put(n) for n in range(100)])
    producer.start()
    producer.join()
    qtbot.waitUntil(lambda: bool(got), timeout=2000)
    qtbot.wait(20)
    assert got[-1] == 99 and len(got) + latest.dropped == 100
    latest.put(5)
    latest.clear()  # the consumer stopped: nothing more is delivered
    qtbot.wait(20)
    assert got[-1] == 99
