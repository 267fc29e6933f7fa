"""The clip records and the parts that write them, each built alone: the store and `decide` in plain
Python; the runner, the scans and removal on a lane that runs a job only when the test steps it (the
jobs themselves are real: the demo model classifies and scans the real sample clips)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from helpers import StepLane
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID
from kinetoscope.ui.main.clip_queue import ClipQueue
from kinetoscope.ui.main.clip_records import ClipState, ClipStore, RunOptions, Show, decide
from kinetoscope.ui.main.clip_removal import ClipRemoval
from kinetoscope.ui.main.runner import ClipRunner
from kinetoscope.ui.main.scan_runner import ScanRunner
from kinetoscope.ui.main.shown_clip import StatusLine
from kinetoscope.ui.tasks import Failure
from locations import SAMPLES

FIRST, SECOND = SAMPLES / "sample_rotating_clockwise.mp4", SAMPLES / "sample_moving_left.mp4"


def _options(views: int = 2, device: str = "cpu") -> RunOptions:
    path = bundled_data.models_dir() / f"{DEMO_MODEL_ID}-onnx-float.zip"
    assert path.exists(), f"the bundled demo model is missing: {path}"
    return RunOptions(DEMO_MODEL_ID, "float", path, device, views)


def _runner(store: ClipStore, options: RunOptions | None) -> tuple[ClipRunner, StepLane]:
    lane = StepLane()
    return ClipRunner(lane, store, lambda: options), lane


def test_decide_is_one_rule_for_what_the_clip_shows() -> None:
    store = ClipStore()
    store.add([FIRST])
    record = store.get(FIRST)
    two, three = _options(2), _options(3)
    assert decide(record, None).show is Show.NO_MODEL
    assert decide(record, two).show is Show.RUN and decide(record, two).held is None
    store.record_failure(FIRST, two, Failure("unreadable"))
    assert decide(record, two).show is Show.FAILURE and decide(record, two).failure.message == "unreadable"
    assert decide(record, three).show is Show.RUN  # failed with other options: worth a run


def test_the_runner_alone_works_through_the_list_and_writes_the_records(qapp: QApplication) -> None:
    store = ClipStore()
    options = _options()
    runner, lane = _runner(store, options)
    store.add([FIRST, SECOND])
    runner.run_next()
    assert store.state(FIRST) is ClipState.RUNNING and store.state(SECOND) is ClipState.PENDING
    assert store.get(FIRST).run is not None and runner.running.clip == FIRST

    lane.step()  # the first clip's job, start to end; the second starts when it has ended
    first = store.get(FIRST)
    assert first.state is ClipState.DONE and first.run is None
    assert first.results[options].top5[0].label == "rotating clockwise"
    assert first.summary.startswith("rotating clockwise · ")
    assert runner.running.clip == SECOND and store.state(SECOND) is ClipState.RUNNING
    assert decide(first, options).show is Show.COMPLETE  # shown again without a run
    held = decide(first, _options(3))
    assert held.show is Show.RUN and held.held == (options, first.results[options])

    lane.step()
    assert store.state(SECOND) is ClipState.DONE and runner.running is None


def test_a_cancelled_job_says_nothing_after_it_is_cancelled(qapp: QApplication) -> None:
    store = ClipStore()
    runner, lane = _runner(store, _options())
    cancelled: list[Path] = []
    runner.cancelled.connect(cancelled.append)
    store.add([FIRST])
    runner.run_next()
    runner.cancel()
    assert store.state(FIRST) is ClipState.CANCELLED and cancelled == [FIRST] and runner.paused
    task = lane.step()  # the job sees its token and ends; its outcome is the runner's no more
    assert task.done and store.state(FIRST) is ClipState.CANCELLED and cancelled == [FIRST]
    runner.run_next()
    assert not lane.queued  # paused until asked


def test_a_failure_is_kept_in_the_record_with_its_options(qapp: QApplication, tmp_path: Path) -> None:
    store = ClipStore()
    options = _options()
    runner, lane = _runner(store, options)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    store.add([broken])
    runner.run_next()
    lane.step()
    assert store.state(broken) is ClipState.FAILED
    assert decide(store.get(broken), options).show is Show.FAILURE


def test_removal_alone_takes_records_out_whole_and_undo_puts_them_back(qapp: QApplication) -> None:
    store = ClipStore()
    options = _options()
    runner, lane = _runner(store, options)
    scans = ScanRunner(lane, runner.sessions, store)
    undo = QAction("Undo Remove")
    removal = ClipRemoval(store, runner, scans, undo, StatusLine(store))
    shown: list[Path] = []
    removal.show.connect(shown.append)
    store.add([FIRST, SECOND])
    store.current = FIRST
    runner.run_next()
    lane.step()  # FIRST done; SECOND starts
    removal.remove([FIRST, SECOND])
    assert len(store) == 0 and runner.running is None and undo.isEnabled()
    lane.step()  # SECOND's cancelled job ends; nothing is written for it
    store.current = None
    removal.undo()
    assert store.paths() == [FIRST, SECOND] and shown == [FIRST]
    assert store.result_for(FIRST, options) is not None  # the result came back with its record
    assert store.state(FIRST) is ClipState.DONE and store.state(SECOND) is ClipState.PENDING


def test_the_scan_runner_alone_keeps_the_scan_in_the_record(qapp: QApplication) -> None:
    store = ClipStore()
    lane = StepLane()
    scans = ScanRunner(lane, ClipRunner(lane, store, lambda: None).sessions, store)
    store.add([FIRST])
    scans.scan(FIRST, _options(), every_s=0.5)
    assert scans.running is not None and scans.result_for(FIRST) is None
    lane.step()
    assert scans.running is None
    result = scans.result_for(FIRST)
    assert result is not None and result is store.get(FIRST).scan and result.windows


def test_the_list_draws_the_records(qapp: QApplication) -> None:
    store = ClipStore()
    queue = ClipQueue(store)
    store.add([FIRST, SECOND])
    assert queue.count() == 2 and queue.model().index(1).data() == f"{SECOND.name}\nwaiting"
    store.set_state(SECOND, ClipState.FAILED)
    assert queue.model().index(1).data() == f"{SECOND.name}\ncould not classify"
    queue.select_clip(SECOND)
    assert queue.selected_clips() == [SECOND]
    store.remove({FIRST})
    assert queue.count() == 1 and queue.selected_clips() == [SECOND]
    queue.deleteLater()
