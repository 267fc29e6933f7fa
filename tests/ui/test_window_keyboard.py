"""The window by keyboard: every Tab stop shows that it has the focus, Esc backs out of a chosen
view, and the arrow keys in the clip list show the clip they highlight."""

from __future__ import annotations

import time

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QWidget

from helpers import wait_until
from locations import SAMPLES
from kinetoscope.ui.main.clip_queue import ClipState


def _settle(qapp: QApplication) -> None:
    end = time.monotonic() + 0.05
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.005)


def _classified(qapp: QApplication, make_window, clips):  # noqa: ANN001, ANN202
    window = make_window(views=3)
    window.open_paths(clips)
    wait_until(qapp, lambda: all(window.queue.state(c) is ClipState.DONE for c in clips)
               and not window.clip_view.preview.is_busy(), what="the clips classified")
    window.activateWindow()
    return window


def _around(window: QWidget, widget: QWidget) -> QRect:
    """The widget's visible part and a margin round it, where a focus ring is drawn, in window coordinates."""
    shown = widget.visibleRegion().boundingRect()
    return QRect(widget.mapTo(window, shown.topLeft()), shown.size()).adjusted(-4, -4, 4, 4)


def test_every_tab_stop_shows_the_focus(qapp: QApplication, qtbot, make_window, sample_clip) -> None:
    window = _classified(qapp, make_window, [sample_clip])
    window.controls.model_combo.setFocus()
    _settle(qapp)
    stops: list[QWidget] = []
    while qapp.focusWidget() not in stops:
        widget = qapp.focusWidget()
        assert widget is not None and widget.window() is window
        stops.append(widget)
        area = _around(window, widget)
        focused = window.grab(area).toImage()
        window.setFocus()  # the window itself: no control has the focus
        _settle(qapp)
        assert not widget.hasFocus()
        unfocused = window.grab(area).toImage()
        assert focused != unfocused, f"{type(widget).__name__} {widget.accessibleName()!r} shows no focus"
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        _settle(qapp)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
        _settle(qapp)
        assert len(stops) < 30, "Tab never came back round"
    names = [w.accessibleName() for w in stops]
    for expected in ("Model", "Views", "Clips", "Position", "View timeline", "Frames the model saw"):
        assert expected in names, names
    # A frame around a pane is not a stop: Tab goes to the controls in it.
    assert not [w for w in stops if isinstance(w, QScrollArea)
                or (isinstance(w, QAbstractScrollArea) and w.accessibleName() == "")], names
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_the_ring_is_two_pixels_of_the_highlight(qapp: QApplication, make_window, sample_clip) -> None:
    window = _classified(qapp, make_window, [sample_clip])
    button = window.controls.views_spin
    button.setFocus()
    _settle(qapp)
    assert window.focus_ring.target() is button
    image = window.grab().toImage()
    highlight = window.palette().color(window.palette().ColorRole.Highlight)
    ring = window.focus_ring.geometry()
    middle_y = ring.center().y()
    left = [image.pixelColor(ring.left() + dx, middle_y) for dx in range(3)]
    assert sum(c == highlight for c in left) >= 2, [c.name() for c in left]
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_escape_goes_back_from_a_view_to_the_whole_clip(qapp: QApplication, qtbot, make_window,
                                                        sample_clip) -> None:
    window = _classified(qapp, make_window, [sample_clip])
    view = window.clip_view
    timeline = view.timeline
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.segment_rect(1).center().toPoint())
    assert view.selected_view == 1 and view.predictions.title().startswith("View 2")
    assert window.actions_.cancel.shortcut().isEmpty()  # Esc belongs to the view now
    qtbot.keyClick(timeline, Qt.Key.Key_Escape)
    assert view.selected_view is None
    assert view.predictions.title() == "Whole clip"
    assert timeline.selected_view() is None and view.frame_strip.selected_view() is None
    assert window.actions_.cancel.shortcut() == QKeySequence(Qt.Key.Key_Escape)  # and Cancel has it back
    # From anywhere in the window, not only the timeline.
    view.frame_strip.view_clicked.emit(2)
    assert view.selected_view == 2
    qtbot.keyClick(window.controls.views_spin, Qt.Key.Key_Escape)
    assert view.selected_view is None
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_arrow_keys_in_the_clip_list_show_the_highlighted_clip(qapp: QApplication, qtbot, make_window,
                                                                sample_clip) -> None:
    clips = [sample_clip, SAMPLES / "sample_moving_left.mp4", SAMPLES / "sample_growing.mp4"]
    window = _classified(qapp, make_window, clips)
    queue = window.queue
    queue.setFocus()
    window.show_clip(clips[0])
    for key, expected in ((Qt.Key.Key_Down, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Up, 1), (Qt.Key.Key_Home, 0),
                          (Qt.Key.Key_End, 2)):
        qtbot.keyClick(queue, key)
        assert queue.selected_clips() == [clips[expected]]
        assert window.current_clip == clips[expected], key  # the highlighted clip is the one on show
        assert window.clip_view.clip == clips[expected]
    # Ctrl+arrow moves the keyboard cursor only, building a selection: nothing else is shown.
    qtbot.keyClick(queue, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert window.current_clip == clips[2]
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_the_tool_windows_ring_their_focus_too(qapp: QApplication, make_window) -> None:
    from kinetoscope.ui.widgets.focus_ring import FocusRing

    window = make_window(views=1)
    window.actions_.benchmark.trigger()
    dialog = window.tools.benchmark
    ring = dialog.findChild(FocusRing)
    assert ring is not None
    dialog.view.controls.runs_spin.setFocus()
    _settle(qapp)
    assert ring.target() is dialog.view.controls.runs_spin
    assert window.focus_ring.target() is None  # each window rings only its own controls
    dialog.close()
