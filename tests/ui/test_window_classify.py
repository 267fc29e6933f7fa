"""The window classifies real clips with the real engine, stays responsive, and survives bad input."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from helpers import act_on, drop_files, wait_until
from lag_probe import LAG_LIMIT_MS, WAIT_LIMIT_MS, LagProbe
from kinetoscope.ui.main.clip_queue import ClipState
from kinetoscope.ui.widgets.predictions import percent


def test_dropping_a_clip_shows_its_top5(qapp: QApplication, make_window, sample_clip: Path,
                                        expected_label: str) -> None:
    window = make_window()
    # Dropped on a child that does not take drops itself: "anywhere on the window" must work.
    assert drop_files(window.clip_view.frame_strip, [sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip.resolve()) is ClipState.DONE, what="the classification")

    preds = window.clip_view.predictions.predictions()
    assert len(preds) == 5
    assert preds[0].label == expected_label
    assert preds[0].prob > 0.5
    assert [p.prob for p in preds] == sorted((p.prob for p in preds), reverse=True)
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.clip_view.frame_strip.view_count() == 5
    assert window.clip_view.timeline.view_count() == 5
    assert all(window.clip_view.frame_strip.thumbnail_count(i) == 16 for i in range(5))
    assert window.status_text.text().startswith("Ran on CPU")
    # The clip list states the top-1 exactly as the top-5 panel does (not "100 %" beside "99.9%").
    assert f"{expected_label} · {percent(preds[0].prob)}" in window.queue.model().index(0).data()
    assert not window.progress.isVisible()


def test_clicking_a_view_shows_its_own_top5_and_back(qapp: QApplication, make_window, sample_clip: Path) -> None:
    window = make_window(views=3)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.runner.running is None and window.clip_view.predictions.predictions(),
               what="the classification")
    whole = window.clip_view.predictions.predictions()
    window.clip_view.timeline.view_clicked.emit(1)
    assert window.clip_view.selected_view == 1
    assert window.clip_view.predictions.title().startswith("View 2:")
    assert window.clip_view.frame_strip.selected_view() == 1
    assert window.clip_view.whole_clip_button.isVisible()
    window.clip_view.whole_clip_button.click()
    assert window.clip_view.selected_view is None
    assert window.clip_view.predictions.predictions() == whole


PROBE_TICKS = 5


def test_event_loop_never_stalls_during_classification(qapp: QApplication, make_window, sample_clip: Path,
                                                       tmp_path: Path) -> None:
    """A 10 ms timer on the GUI thread must keep firing while a clip is decoded and classified.

    The GUI thread's own CPU time between two ticks must stay under LAG_LIMIT_MS whatever else the
    machine runs, and the wall time under a looser bound that still catches real blocking (see
    lag_probe.py). A virtual machine's neighbours can steal a core for a moment, so a run over the
    limits is repeated once on a fresh copy of the clip; real blocking (decoding or inference on the
    GUI thread, hundreds of ms a view) fails both runs. Each run classifies copies of the clip
    until the probe has ticked at least PROBE_TICKS times, so a fast machine cannot end it early.
    """
    window = make_window(views=12)  # about a second of work on a laptop
    settle = time.monotonic() + 0.3  # the window has appeared and settled, as before any real drop
    wait_until(qapp, lambda: time.monotonic() > settle, what="the window to settle")
    probes = []
    copies = iter(range(1000))
    for attempt in range(2):
        with LagProbe() as probe:
            # The work spans the probe by construction: a machine fast enough to finish a clip
            # within a few ticks classifies one more copy, until the probe has seen enough of it.
            while len(probe.wall_gaps) < PROBE_TICKS:
                clip = Path(shutil.copy(sample_clip, tmp_path / f"copy{next(copies)}.mp4")).resolve()
                window.open_paths([clip])  # decoding, model loading and inference: all off the GUI thread
                wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, what="the classification")
        print(f"\nrun {attempt + 1}: {probe.report()}")
        probes.append(probe)
        if probe.within_limits():
            break
    best = min(probes, key=lambda p: p.worst_busy_ms)
    assert len(best.wall_gaps) >= 3  # the probe ran across the work (a busy machine gives fewer ticks)
    assert best.worst_busy_ms < LAG_LIMIT_MS, f"the GUI thread worked {best.worst_busy_ms:.0f} ms without returning to the loop"
    assert best.worst_wall_ms < WAIT_LIMIT_MS, f"the event loop stalled for {best.worst_wall_ms:.0f} ms"


def test_a_broken_file_shows_an_error_with_details_and_the_window_keeps_working(
        qapp: QApplication, make_window, tmp_path: Path, sample_clip: Path, expected_label: str) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    window = make_window(views=2)
    window.open_paths([broken])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the failure")

    assert window.errors.isVisible()
    assert "broken.mp4" in window.errors.message
    assert window.errors.detail  # the technical part is there, behind "Details"
    assert not window.errors.details_visible
    window.errors.set_details_visible(True)
    assert window.errors.details_visible
    assert window.runner.running is None

    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip.resolve()) is ClipState.DONE, what="the good clip")
    assert window.clip_view.predictions.predictions()[0].label == expected_label
    assert not window.errors.isVisible()  # a new, good clip clears the old message


def test_cancel_stops_the_run_and_the_next_run_works(qapp: QApplication, make_window, sample_clip: Path) -> None:
    window = make_window(views=12)
    window.open_paths([sample_clip])
    act_on(qapp, window.runner.view_ready, lambda *_: True, window.actions_.cancel.trigger, what="a first view")
    assert window.queue.state(sample_clip.resolve()) is ClipState.CANCELLED
    assert window.runner.running is None
    assert not window.actions_.cancel.isEnabled()
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine to acknowledge the cancel")

    window.actions_.rerun.trigger()
    wait_until(qapp, lambda: window.queue.state(sample_clip.resolve()) is ClipState.DONE, what="the re-run")
    assert window.clip_view.frame_strip.view_count() == 12



def _settle(qapp: QApplication, ms: int = 300) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.01)


def test_options_that_did_not_change_never_restart_or_repeat_a_run(qapp: QApplication, make_window,
                                                                    sample_clip: Path) -> None:
    """The options' settle timer may fire while the run with them goes on, or after it ended."""
    window = make_window()
    clip = sample_clip.resolve()
    starts: list[Path] = []
    cancels: list[Path] = []
    window.runner.started.connect(starts.append)
    window.runner.cancelled.connect(cancels.append)
    assert drop_files(window, [sample_clip])
    act_on(qapp, window.runner.view_ready, lambda *_: True, window.controls.options_changed.emit,
           what="a first view")  # mid-run, same options
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, what="the classification")
    window.controls.options_changed.emit()  # after the run, same options
    _settle(qapp)
    assert starts == [clip] and cancels == []
    assert window.runner.running is None
    assert window.clip_view.timeline.view_count() == 5


def test_going_back_to_earlier_options_shows_their_result_without_a_run(qapp: QApplication, make_window,
                                                                         sample_clip: Path) -> None:
    window = make_window()
    clip = sample_clip.resolve()
    assert drop_files(window, [sample_clip])
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, what="the classification")
    window.controls.views_spin.setValue(3)
    wait_until(qapp, lambda: window.clip_view.timeline.view_count() == 3 and window.runner.running is None
               and window.queue.state(clip) is ClipState.DONE, what="the 3-view run")
    starts: list[Path] = []
    window.runner.started.connect(starts.append)
    window.controls.views_spin.setValue(0)  # back to "Model's default": the demo model's 5 views
    wait_until(qapp, lambda: window.clip_view.timeline.view_count() == 5, what="the 5-view result")
    _settle(qapp)
    assert starts == []
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.status_text.text().startswith("Ran on CPU")
