"""Inference sessions of models and devices no longer in use are let go: memory does not only grow."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.ui.main.session_cache import MAX_CACHED_SESSIONS
from kinetoscope.ui.main.clip_queue import ClipState


def _run_with(qapp: QApplication, window, clip: Path, precision: str) -> None:  # noqa: ANN001
    window.controls.apply(window.controls.options().model_id, precision, "cpu", 1)
    window.controls.options_changed.emit()
    wait_until(qapp, lambda: window.runner.running is None and window.queue.state(clip) is ClipState.DONE
               and not window.engine.busy(), what=f"the {precision} run")


def test_the_window_keeps_a_bounded_cache_and_clear_clip_list_keeps_only_the_chosen_session(
        qapp: QApplication, make_window, sample_clip: Path) -> None:
    window = make_window(views=1)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the first run")
    first = window.controls.options()
    for precision in ("w8a8", "float", "w8a8"):
        _run_with(qapp, window, sample_clip, precision)
        assert len(window.runner.sessions.cached()) <= MAX_CACHED_SESSIONS
    chosen = window.controls.options()
    assert chosen.precision == "w8a8" and first.precision == "float"
    assert len(window.runner.sessions.cached()) == 2  # the chosen one and the one before it

    window.actions_.clear_queue.trigger()
    wait_until(qapp, lambda: not window.engine.busy(), what="the release")
    assert window.runner.sessions.cached() == [(Path(chosen.model_path), "cpu")]
    # The next clip starts from the kept session, and a switch back opens one afresh.
    _run_with_clip = window.open_paths([sample_clip])
    assert _run_with_clip
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE and not window.engine.busy(),
               what="the run after clearing")
    assert window.runner.sessions.cached() == [(Path(chosen.model_path), "cpu")]
