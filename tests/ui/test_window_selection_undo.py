"""Opening a clip selects only it; removing several clips can be undone."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from locations import SAMPLES
from test_window_remove_clips import _click, _idle
from kinetoscope.ui.main.clip_queue import ClipState


def _clips(count: int) -> list[Path]:
    clips = sorted(p.resolve() for p in SAMPLES.glob("*.mp4"))
    assert len(clips) >= count, f"need {count} sample clips in {SAMPLES}"
    return clips[:count]


def test_opening_a_clip_selects_only_it(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    first, second, third = _clips(3)
    window.open_paths([first, second])
    _idle(qapp, window, "both clips")
    # Ctrl held (a Ctrl+click just before, or Ctrl held while dropping) must not extend the selection.
    _click(window, second, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.selected_clips() == [first, second]

    window.open_paths([third])
    assert window.current_clip == third
    assert window.queue.selected_clips() == [third]
    window.remove_selected_clips()
    assert window.queue.clips() == [first, second]  # the classified clips stay
    _idle(qapp, window, "the engine")


def test_removing_several_clips_can_be_undone(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    clips = _clips(3)
    window.open_paths(clips)
    _idle(qapp, window, "the queue")
    assert not window.actions_.undo_remove.isEnabled()

    window.remove_clips(clips[:2])
    assert window.queue.clips() == [clips[2]]
    assert "Removed 2 clips" in window.status_text.text()
    assert "Undo" in window.status_text.text()
    assert window.actions_.undo_remove.isEnabled()

    window.actions_.undo_remove.trigger()
    assert window.queue.clips() == clips  # back where they stood
    assert window.queue.state(clips[0]) is ClipState.DONE  # with their results, without a run
    assert window.clips.result_for(clips[0], window.controls.options()) is not None
    assert window.runner.running is None
    assert "Restored 2 clips" in window.status_text.text()
    assert not window.actions_.undo_remove.isEnabled()
    window.show_clip(clips[0])
    assert window.runner.running is None and window.clip_view.predictions.title() == "Whole clip"
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")
