"""The task API (`kinetoscope.ui.tasks`) and the latest-wins hand-off (`kinetoscope.ui.latest`)."""

from __future__ import annotations

import threading
import time

import pytest

from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.ui.latest import LatestValue
from kinetoscope.ui.tasks import BatchedReport, Failure, Lane, Newest, Op, TaskContext, describe


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


def test_an_op_without_a_failure_handler_still_tells_the_lanes_owner(qtbot, lane):
    engine = lane()
    unhandled: list[Failure] = []
    engine.unhandled.connect(unhandled.append)

    def fails(_ctx: TaskContext) -> None:
        raise KinetoscopeError("The probe failed.")

    with qtbot.waitSignal(Op(engine, fails, name="probe").run().ended, timeout=5000):
        pass
    assert [f.message for f in unhandled] == ["The probe failed."]
    handled: list[Failure] = []
    with qtbot.waitSignal(Op(engine, fails).failure(handled.append).run().ended, timeout=5000):
        pass
    assert len(handled) == 1 and len(unhandled) == 1  # a handled failure goes only to its handler


def test_only_the_newest_job_of_a_kind_is_heard(qtbot, lane):
    engine = lane()
    newest = Newest()
    gate = threading.Event()
    heard: list[object] = []
    released: list[object] = []
    first = (Op(engine, lambda _ctx: gate.wait(5) and "first").success(heard.append)
             .newest_in(newest, superseded=released.append).run())
    second = Op(engine, lambda _ctx: "second").success(heard.append).newest_in(newest).run()
    assert newest.task is second
    gate.set()
    with qtbot.waitSignal(second.ended, timeout=5000):
        pass
    assert first.done and heard == ["second"] and released == ["first"]  # the replaced one only releases
    assert newest.task is None  # its outcome arrived
    third = Op(engine, lambda ctx: time.sleep(0.2) or ctx.raise_if_cancelled()).success(heard.append).newest_in(
        newest).run()
    assert newest.drop() is third and newest.task is None
    with qtbot.waitSignal(third.ended, timeout=5000):
        pass
    assert heard == ["second"]


def test_a_fast_job_reports_in_a_few_batches_and_loses_nothing(qtbot, lane):
    engine = lane()
    batches: list[list[int]] = []

    def job(ctx: TaskContext) -> None:
        batch = BatchedReport(ctx, interval_s=0.05)
        deadline = time.monotonic() + 0.3
        n = 0
        while time.monotonic() < deadline:
            batch.add(n)
            n += 1
        batch.flush()
        return n

    task = Op(engine, job).progress(batches.append).run()
    with qtbot.waitSignal(task.succeeded, timeout=5000) as outcome:
        pass
    made = outcome.args[0]
    assert [n for b in batches for n in b] == list(range(made))  # every item, once, in order
    assert made > 100 and len(batches) <= 0.3 / 0.05 + 2
