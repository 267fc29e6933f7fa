"""Changing the options re-runs the clip; the complete result stays on show until the new one is complete."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from helpers import act_on, wait_until
from kinetoscope.ui.main.clip_queue import ClipState


def _change_views(window, views: int) -> None:  # noqa: ANN001
    o = window.controls.options()
    window.controls.apply(o.model_id, o.precision, o.device, views)
    window.controls.options_changed.emit()


def test_cancelling_a_rerun_keeps_the_complete_result(qapp: QApplication, make_window, sample_clip) -> None:
    window = make_window(views=2)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the first run")
    before = window.clip_view.predictions.predictions()
    during: dict[str, object] = {}

    def cancel_mid_run() -> None:
        during.update(views=window.clip_view.timeline.view_count(), title=window.clip_view.predictions.title(),
                      note=window.clip_view.note_text())
        window.cancel()

    _change_views(window, 12)
    act_on(qapp, window.runner.view_ready, lambda clip, *_: clip == sample_clip, cancel_mid_run,
           what="a first view of the re-run")
    assert during["views"] == 2 and during["title"] == "Whole clip"  # the complete result, not a partial one
    assert "2 views" in during["note"] and "12 views" in during["note"]  # says which result is on show

    wait_until(qapp, lambda: not window.engine.busy(), what="the cancel")
    assert window.clip_view.timeline.view_count() == 2
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.clip_view.predictions.predictions() == before
    assert window.queue.state(sample_clip) is ClipState.DONE  # not "cancelled"
    assert "earlier result" in window.clip_view.note_text()


def test_a_completed_rerun_replaces_the_result(qapp: QApplication, make_window, sample_clip) -> None:
    window = make_window(views=2)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the first run")
    _change_views(window, 3)
    wait_until(qapp, lambda: window.runner.running is None and window.clip_view.timeline.view_count() == 3,
               what="the re-run")
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.clip_view.note_text() == ""
