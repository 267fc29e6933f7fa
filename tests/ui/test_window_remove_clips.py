"""Removing clips from the list: queued, running, on show, several at once, by key and by menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from helpers import act_on, wait_until
from helpers import wait_idle as _idle
from locations import SAMPLES
from kinetoscope.ui.main.clip_queue import ClipState


def _clips(count: int) -> list[Path]:
    clips = sorted(p.resolve() for p in SAMPLES.glob("*.mp4"))
    assert len(clips) >= count, f"need {count} sample clips in {SAMPLES}"
    return clips[:count]


def _started(window) -> list[Path]:  # noqa: ANN001
    """Every clip the runner starts from now on, in order."""
    started: list[Path] = []
    window.runner.started.connect(started.append)
    return started


def _click(window, clip: Path, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,  # noqa: ANN001
           *, double: bool = False) -> None:
    queue = window.queue
    index = next(queue.model().index(row) for row in range(queue.count())
                 if queue.model().index(row).data(Qt.ItemDataRole.ToolTipRole) == str(clip))
    where = queue.visualRect(index).center()
    QTest.mouseClick(queue.viewport(), Qt.MouseButton.LeftButton, modifier, where)
    if double:  # the second click of a double click arrives as a double-click event
        QTest.mouseDClick(queue.viewport(), Qt.MouseButton.LeftButton, modifier, where)


def test_a_removed_queued_clip_never_runs(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    started = _started(window)
    first, second, third = _clips(3)
    window.open_paths([first, second, third])
    assert window.queue.state(third) is ClipState.PENDING

    window.remove_clips([third])
    assert window.queue.clips() == [first, second]
    assert window.current_clip == first  # the clip on show stays, and stays selected
    assert window.queue.selected_clips() == [first]
    _idle(qapp, window, "the rest of the queue")
    assert third not in started and second in started
    assert window.queue.state(first) is ClipState.DONE and window.queue.state(second) is ClipState.DONE


def test_removing_the_running_clip_cancels_it_and_the_next_one_completes(qapp: QApplication, make_window) -> None:
    window = make_window(views=12)  # long enough to be caught mid-run
    first, second = _clips(2)
    cancelled: list[Path] = []
    window.runner.cancelled.connect(cancelled.append)
    after: dict[str, object] = {}

    def remove_first() -> None:  # the running clip, and the one on show
        task = window.runner.running.task
        window.remove_clips([first])
        # What the window is right after the removal (the engine may finish other work right after).
        running = window.runner.running
        after.update(task=task, cancelled=list(cancelled), token_cancelled=task.token.cancelled,
                     current=window.current_clip, running=running.clip if running else None,
                     selected=window.queue.selected_clips(), title=window.windowTitle())

    window.open_paths([first, second])
    act_on(qapp, window.runner.view_ready, lambda clip, *_: clip == first, remove_first,
           what="a first view of the first clip")
    task = after["task"]
    assert after["cancelled"] == [first]
    assert after["token_cancelled"]  # asked to stop through the runner's cancel path
    # The clip that took its place is shown as if clicked, so it runs now.
    assert after["current"] == second and after["running"] == second
    assert after["selected"] == [second]
    assert after["title"].startswith(second.name)

    _idle(qapp, window, "the next clip")
    assert task.done  # the engine stopped the removed clip's job
    assert window.queue.state(second) is ClipState.DONE
    assert window.clip_view.clip == second
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.clip_view.frame_strip.view_count() == 12
    assert not window.actions_.cancel.isEnabled() and not window.progress.isVisible()


def test_removing_a_clip_running_in_the_background_starts_the_next(qapp: QApplication, make_window) -> None:
    window = make_window(views=12)
    first, second, third = _clips(3)
    window.open_paths([first, second, third])
    after: dict[str, object] = {}

    def remove_second() -> None:  # running in the background
        shown = window.clip_view.predictions.predictions()
        window.remove_clips([second])
        running = window.runner.running
        after.update(running=running.clip if running else None, current=window.current_clip, shown=shown,
                     untouched=window.clip_view.predictions.predictions() == shown)

    act_on(qapp, window.runner.view_ready, lambda clip, *_: clip == second, remove_second,
           what="a first view of the second clip, in the background")
    assert after["running"] == third
    assert after["current"] == first
    assert after["untouched"]  # the clip on show is left alone
    _idle(qapp, window, "the third clip")
    assert window.current_clip == first and window.clip_view.predictions.predictions() == after["shown"]
    assert window.queue.clips() == [first, third]
    assert window.queue.state(third) is ClipState.DONE


def test_removing_the_finished_clip_on_show_shows_the_next_then_nothing(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    first, second = _clips(2)
    window.open_paths([first, second])
    _idle(qapp, window, "both clips")
    started = _started(window)

    window.remove_clips([first])
    assert window.current_clip == second  # its cached result, at once, without a run
    assert started == [] and window.runner.running is None
    assert window.clip_view.clip == second
    assert window.clip_view.predictions.title() == "Whole clip"
    assert window.clip_view.timeline.view_count() == 2
    assert window.clips.result_for(first, window.controls.options()) is None  # its result is forgotten

    window.remove_clips([second])  # the last one: back to the empty window
    assert window.current_clip is None
    assert not window.clip_view.showing_clip
    assert not window.clip_view.predictions.predictions()
    assert window.clip_view.timeline.view_count() == 0
    assert window.clip_view.frame_strip.view_count() == 0
    assert window.windowTitle() == "Kinetoscope"
    assert not window.actions_.remove_clips.isEnabled() and not window.actions_.clear_queue.isEnabled()


def test_several_selected_clips_are_removed_together(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    clips = _clips(4)
    window.open_paths(clips)
    _idle(qapp, window, "the queue")

    _click(window, clips[1], Qt.KeyboardModifier.ControlModifier)
    _click(window, clips[3], Qt.KeyboardModifier.ControlModifier)
    assert window.queue.selected_clips() == [clips[0], clips[1], clips[3]]
    assert window.current_clip == clips[0]  # Ctrl+click selects; it does not show the clip
    _click(window, clips[2])
    assert window.current_clip == clips[2]  # a plain click still shows the clip
    assert window.queue.selected_clips() == [clips[2]]
    _click(window, clips[0], Qt.KeyboardModifier.ShiftModifier)
    assert window.queue.selected_clips() == clips[:3]
    assert window.current_clip == clips[2]

    window.actions_.remove_clips.trigger()
    assert window.queue.clips() == [clips[3]]
    assert window.current_clip == clips[3]
    assert window.runner.running is None  # done already: shown from its cached result
    assert window.clip_view.predictions.title() == "Whole clip"


def test_a_ctrl_double_click_selects_and_a_plain_one_or_enter_shows(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    first, second = _clips(2)
    window.open_paths([first, second])
    _idle(qapp, window, "the queue")
    _click(window, second, Qt.KeyboardModifier.ControlModifier, double=True)
    assert window.current_clip == first  # activation (a double click here) with Ctrl only selects
    _click(window, second, double=True)
    assert window.current_clip == second
    window.queue.setCurrentIndex(window.queue.model().index(0))
    QTest.keyClick(window.queue, Qt.Key.Key_Return)
    assert window.current_clip == first


def test_delete_and_backspace_remove_only_while_the_list_has_the_focus(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    first, second, third = _clips(3)
    window.open_paths([first, second, third])
    _idle(qapp, window, "the queue")
    window.activateWindow()
    wait_until(qapp, lambda: QApplication.activeWindow() is window, timeout_s=5, what="the window to be active")

    window.controls.views_spin.setFocus()
    QTest.keyClick(window.controls.views_spin, Qt.Key.Key_Delete)  # edits the number, not the list
    assert window.queue.count() == 3
    # A widget that does not take the key itself: a window-wide shortcut would fire here.
    window.clip_view.timeline.setFocus()
    assert window.clip_view.timeline.hasFocus()
    QTest.keyClick(window.clip_view.timeline, Qt.Key.Key_Delete)
    assert window.queue.count() == 3

    window.queue.setFocus()
    QTest.keyClick(window.queue, Qt.Key.Key_Delete)
    assert window.queue.clips() == [second, third]
    assert window.current_clip == second
    QTest.keyClick(window.queue, Qt.Key.Key_Backspace)
    assert window.queue.clips() == [third]


def test_remove_is_offered_only_for_a_selection(qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    remove = window.actions_.remove_clips
    assert not remove.isEnabled()
    assert remove in window.queue.actions()  # the list's right-click menu
    assert window.queue.contextMenuPolicy() is Qt.ContextMenuPolicy.ActionsContextMenu
    assert remove.shortcuts() == [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)]

    window.open_paths(_clips(1))
    assert remove.isEnabled()  # the clip on show is selected
    window.queue.clearSelection()
    assert not remove.isEnabled()
    window.remove_selected_clips()  # what the action would do: with nothing selected, nothing happens
    assert window.queue.count() == 1

    window.actions_.clear_queue.trigger()  # the same path for every clip, mid-run
    assert window.queue.count() == 0 and window.current_clip is None
    assert not window.clip_view.showing_clip
    assert not window.actions_.clear_queue.isEnabled()
    _idle(qapp, window, "the engine to acknowledge the cancel")


def test_removing_a_failed_clip_takes_its_error_away(qapp: QApplication, make_window, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    window = make_window(views=2)
    first = _clips(1)[0]
    window.open_paths([first, broken])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the failure")
    window.show_clip(broken)  # its error banner comes with it
    assert "broken.mp4" in window.errors.message

    window.remove_clips([broken])
    assert not window.errors.isVisible()
    assert window.current_clip == first
