"""Every command in the menu bar and every shortcut, as a person reaches them, with and without a clip.

The buttons were tested; the menus and keys that reach the same commands were not, and File ▸
Export Timeline… and Export Results… (and Ctrl+Shift+E) failed with `expected str … not bool`:
`QAction.triggered(bool)` handed `checked` to the command's `path`. Here each action is
triggered where it is enabled, its dialogs are answered as a person would, and the test checks
that it did its thing and that no exception reached the crash guard or the error banner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from helpers import answer_next_dialog, choose_file, wait_until
from locations import SAMPLES
from kinetoscope.ui.crash_guard import CrashGuard
from kinetoscope.ui.main.clip_queue import ClipState

CLIPS = [SAMPLES / "sample_rotating_clockwise.mp4", SAMPLES / "sample_moving_left.mp4"]


@pytest.fixture
def guard() -> Iterator[CrashGuard]:
    """The app's crash guard: any exception that escapes a slot is counted here."""
    crash_guard = CrashGuard()
    crash_guard.install()
    yield crash_guard
    crash_guard.uninstall()


def menu_actions(window: QWidget) -> list[QAction]:
    """Every command in the menu bar, submenus included, in menu order."""
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif not action.isSeparator():
                found.append(action)

    for top in window.menuBar().actions():
        walk(top.menu())
    return found


def close(dialog: QWidget) -> None:
    dialog.close()


def no_error_reached_the_person(window, guard: CrashGuard) -> None:  # noqa: ANN001
    assert guard.count == 0, "an exception escaped a slot"
    assert "Something went wrong" not in window.errors.message, window.errors.message


def _idle(qapp: QApplication, window) -> None:  # noqa: ANN001
    wait_until(qapp, lambda: window.runner.running is None and window.scans.running is None
               and not window.engine.busy() and not window.exporter.busy(), what="the window to be idle")


def _trigger(qapp: QApplication, window, action: QAction, guard: CrashGuard) -> None:  # noqa: ANN001
    assert action.isEnabled(), action.text()
    action.trigger()
    qapp.processEvents()
    no_error_reached_the_person(window, guard)


def test_every_menu_command_without_a_clip(qapp: QApplication, make_window, guard: CrashGuard,
                                           tmp_path: Path) -> None:
    window = make_window(views=1)
    a = window.actions_
    checked: set[str] = set()
    for action in menu_actions(window):
        if not action.isEnabled():
            continue
        text = action.text().replace("&", "")
        if action in (a.open, a.open_folder):
            answered = answer_next_dialog(qapp, close, QFileDialog)  # looked, then cancelled
            _trigger(qapp, window, action, guard)
            assert answered == ["Open clips" if action is a.open else "Open a folder of clips"]
            assert window.queue.count() == 0
        elif action is a.quit:
            continue  # the last test closes the window with it
        elif action in (a.models, a.benchmark, a.camera, a.teach, a.library):
            _trigger(qapp, window, action, guard)
            tool = {a.models: lambda: window.tools._models_dialog, a.benchmark: lambda: window.tools.benchmark,
                    a.camera: lambda: window.tools.camera, a.teach: lambda: window.tools.teach,
                    a.library: lambda: window.tools.library}[action]()
            wait_until(qapp, tool.isVisible, what=text)
            tool.close()
        elif action is a.about or action is a.open_log:
            answered = answer_next_dialog(qapp, close, QMessageBox)
            _trigger(qapp, window, action, guard)
            if action is a.about:
                wait_until(qapp, lambda: answered, what="the About box")
        elif action is a.clear_graphs:
            _trigger(qapp, window, action, guard)
        elif action is a.focus_clips:
            window.activateWindow()
            _trigger(qapp, window, action, guard)
            assert window.focusWidget() is window.queue
        else:
            _trigger(qapp, window, action, guard)  # Clear Recent Clips, an empty Recent item
        checked.add(text)
    # Without a clip, these have nothing to act on and say so by being disabled.
    for action in (a.remove_clips, a.undo_remove, a.clear_queue, a.rerun, a.cancel, a.scan, a.export_timeline,
                   a.export_results, a.whole_clip):
        assert not action.isEnabled(), action.text()
    assert {"Open Clips…", "Open Folder…", "Models…", "Benchmark…", "Camera…", "Teach…", "Library…", "About Kinetoscope", "Go to Clip List",
            "Clear Graphs", "Open Log Folder"} <= checked, checked
    _idle(qapp, window)


def test_every_menu_command_with_clips(qapp: QApplication, make_window, guard: CrashGuard, tmp_path: Path) -> None:
    window = make_window(views=1)
    a = window.actions_
    done: list[str] = []  # the text of every menu command triggered
    for action in menu_actions(window):
        action.triggered.connect(lambda _checked=False, t=action.text(): done.append(t))

    # File ▸ Open Clips…: the dialog's answer is queued and shown.
    answer_next_dialog(qapp, choose_file(CLIPS[0]), QFileDialog)
    _trigger(qapp, window, a.open, guard)
    assert window.queue.clips() == [CLIPS[0]]
    wait_until(qapp, lambda: window.queue.state(CLIPS[0]) is ClipState.DONE, what="the classification")
    # File ▸ Open Folder…, cancelled: nothing more is queued (test_clips_in.py chooses a folder).
    answered = answer_next_dialog(qapp, close, QFileDialog)
    _trigger(qapp, window, a.open_folder, guard)
    assert answered == ["Open a folder of clips"] and window.queue.clips() == [CLIPS[0]]
    # File ▸ Open Recent ▸ 1: the menu fills as it opens.
    window.open_paths([CLIPS[1]])
    wait_until(qapp, lambda: window.queue.state(CLIPS[1]) is ClipState.DONE, what="the second clip")
    window.actions_.recent_menu.aboutToShow.emit()
    recent = [x for x in window.actions_.recent_menu.actions() if x.text().startswith("&1 ")]
    assert recent, [x.text() for x in window.actions_.recent_menu.actions()]
    window.show_clip(CLIPS[0])
    _trigger(qapp, window, recent[0], guard)
    assert window.current_clip == CLIPS[1]  # the latest opened is first
    _idle(qapp, window)

    # Run ▸ Run Again, then Cancel while it runs.
    started: list[Path] = []

    def cancel_as_it_starts(clip: Path) -> None:
        started.append(clip)
        _trigger(qapp, window, a.cancel, guard)

    window.runner.started.connect(cancel_as_it_starts)
    _trigger(qapp, window, a.rerun, guard)
    window.runner.started.disconnect(cancel_as_it_starts)
    assert started == [CLIPS[1]] and window.runner.running is None
    _idle(qapp, window)
    _trigger(qapp, window, a.rerun, guard)
    _idle(qapp, window)

    # Run ▸ Scan Whole Clip, then File ▸ Export Timeline… through its dialog.
    _trigger(qapp, window, a.scan, guard)
    wait_until(qapp, lambda: window.scans.running is None and window.scan_pane.result() is not None,
               what="the scan")
    timeline = tmp_path / "timeline.csv"
    answered = answer_next_dialog(qapp, choose_file(timeline), QFileDialog)
    _trigger(qapp, window, a.export_timeline, guard)
    wait_until(qapp, lambda: timeline.is_file() and not window.exporter.busy(), what="the timeline export")
    assert answered and timeline.read_text(encoding="utf-8").startswith("start_s")

    # File ▸ Export Results…: the only way to export the list's results.
    results = tmp_path / "results.json"
    answered = answer_next_dialog(qapp, choose_file(results), QFileDialog)
    _trigger(qapp, window, a.export_results, guard)
    wait_until(qapp, lambda: results.is_file() and not window.exporter.busy(), what="the results export")
    assert answered and all(clip.name in results.read_text(encoding="utf-8") for clip in CLIPS)

    # View ▸ Whole Clip, once a view is chosen; View ▸ Go to Clip List.
    window.clip_view.frame_strip.view_clicked.emit(0)
    assert window.clip_view.selected_view == 0
    _trigger(qapp, window, a.whole_clip, guard)
    assert window.clip_view.selected_view is None
    window.activateWindow()
    _trigger(qapp, window, a.focus_clips, guard)
    assert window.focusWidget() is window.queue
    # Run ▸ Clear Graphs.
    _trigger(qapp, window, a.clear_graphs, guard)
    assert window.graphs._latency.y.total == 0

    # File ▸ Remove from Clip List, Undo Remove, Clear Clip List.
    window.queue.select_clip(CLIPS[0])
    _trigger(qapp, window, a.remove_clips, guard)
    assert window.queue.clips() == [CLIPS[1]]
    _trigger(qapp, window, a.undo_remove, guard)
    assert sorted(window.queue.clips()) == sorted(CLIPS)
    _trigger(qapp, window, a.clear_queue, guard)
    assert window.queue.count() == 0 and window.current_clip is None
    assert not window.clip_view.scan_hint.isVisibleTo(window)  # no offer to scan a clip that is gone

    # File ▸ Quit.
    _idle(qapp, window)
    _trigger(qapp, window, a.quit, guard)
    assert not window.isVisible()
    # The Tools and Help commands were triggered without a clip (the test above) and act the same.
    elsewhere = {a.models, a.benchmark, a.camera, a.teach, a.library, a.open_log, a.about}
    assert {x.text() for x in menu_actions(window) if x not in elsewhere and x.parent() is window} <= set(done)


def _press(qapp: QApplication, window, sequence: QKeySequence) -> None:  # noqa: ANN001
    """Type `sequence` where the focus is, as a keyboard does (the window's shortcut map decides)."""
    combo = sequence[0]
    QTest.keyClick(qapp.focusWidget() or window, combo.key(), combo.keyboardModifiers())
    qapp.processEvents()


def test_every_shortcut_triggers_its_command(qapp: QApplication, make_window, guard: CrashGuard,
                                            tmp_path: Path) -> None:
    window = make_window(views=1)
    a = window.actions_
    window.activateWindow()
    wait_until(qapp, lambda: qapp.activeWindow() is window, what="the window to be active")
    window.open_paths(CLIPS)
    wait_until(qapp, lambda: all(window.queue.state(c) is ClipState.DONE for c in CLIPS), what="the clips")
    fired: list[str] = []
    for action in menu_actions(window):
        action.triggered.connect(lambda _checked=False, t=action.text(): fired.append(t))

    def press(action: QAction, *, before: Callable[[], object] = lambda: None) -> None:
        assert action.isEnabled() and not action.shortcut().isEmpty(), action.text()
        before()
        if qapp.activeWindow() is not window:  # a dialog just closed
            window.activateWindow()
            wait_until(qapp, lambda: qapp.activeWindow() is window, what="the window to be active")
        count = len(fired)
        _press(qapp, window, action.shortcut())
        assert fired[count:].count(action.text()) == 1, (action.shortcut().toString(), fired[count:])
        no_error_reached_the_person(window, guard)

    window.queue.setFocus()
    # Esc while the run Ctrl+R started is under way (the demo model may finish within one turn of
    # the event loop, so it is pressed as the run starts).
    stopped: list[Path] = []

    def cancel_as_it_starts(clip: Path) -> None:
        if not stopped:
            stopped.append(clip)
            press(a.cancel)

    window.runner.started.connect(cancel_as_it_starts)
    press(a.rerun)
    window.runner.started.disconnect(cancel_as_it_starts)
    assert stopped and window.runner.running is None
    _idle(qapp, window)
    window.rerun()  # the views again, for Esc below
    _idle(qapp, window)
    press(a.scan)
    wait_until(qapp, lambda: window.scans.running is None and window.scan_pane.result() is not None, what="the scan")
    timeline = tmp_path / "timeline.json"
    answer_next_dialog(qapp, choose_file(timeline), QFileDialog)
    press(a.export_timeline)  # Ctrl+Shift+E
    wait_until(qapp, lambda: timeline.is_file() and not window.exporter.busy(), what="the export")
    press(a.clear_graphs)
    window.clip_view.frame_strip.view_clicked.emit(0)
    press(a.whole_clip)  # Esc, while a view is chosen
    window.controls.views_spin.setFocus()
    press(a.focus_clips)
    assert window.focusWidget() is window.queue
    window.queue.select_clip(CLIPS[0])
    remove = a.remove_clips
    count = len(fired)
    _press(qapp, window, remove.shortcuts()[0])  # Delete, in the list
    assert fired[count:] == [remove.text()] and window.queue.clips() == [CLIPS[1]]
    press(a.undo_remove)
    assert sorted(window.queue.clips()) == sorted(CLIPS)
    for action in (a.models, a.benchmark, a.camera, a.teach, a.library):
        window.activateWindow()
        wait_until(qapp, lambda: qapp.activeWindow() is window, what="the window to be active")
        window.queue.setFocus()
        press(action)
        tool = {a.models: lambda: window.tools._models_dialog, a.benchmark: lambda: window.tools.benchmark,
                a.camera: lambda: window.tools.camera, a.teach: lambda: window.tools.teach,
                a.library: lambda: window.tools.library}[action]()
        wait_until(qapp, tool.isVisible, what=action.text())
        tool.close()
    window.activateWindow()
    wait_until(qapp, lambda: qapp.activeWindow() is window, what="the window to be active")
    window.queue.setFocus()
    answer_next_dialog(qapp, close, QFileDialog)
    press(a.open)  # Ctrl+O, cancelled
    _idle(qapp, window)
    window.queue.setFocus()
    answer_next_dialog(qapp, close, QFileDialog)
    press(a.open_folder)  # Ctrl+Shift+O, cancelled
    window.queue.setFocus()
    press(a.quit)
    assert not window.isVisible()
    with_keys = {x.text() for x in menu_actions(window) if not x.shortcut().isEmpty()}
    assert with_keys <= set(fired), with_keys - set(fired)


def test_clear_clip_list_takes_the_scan_offer_with_the_clip(qapp: QApplication, make_window,
                                                             guard: CrashGuard) -> None:
    clip = SAMPLES / "sample_arm_wrestling.mp4"  # 10 s: one view leaves most of it unseen
    window = make_window(views=1)
    window.open_paths([clip])
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, what="the classification")
    assert window.clip_view.scan_hint.isVisibleTo(window)
    _trigger(qapp, window, window.actions_.clear_queue, guard)
    assert not window.clip_view.scan_hint.isVisibleTo(window)
    _idle(qapp, window)
