"""ViewTimeline: positions, clicks, keys, lanes for overlapping views, placeholders."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from kinetoscope.ui.widgets._look import label_colour
from kinetoscope.ui.widgets.timeline import ViewTimeline

SPANS = [(0.0, 1.07), (2.2, 3.27), (4.4, 5.47), (6.6, 7.67), (8.8, 9.87)]
LABELS = ["arm wrestling", "arm wrestling", "shaking hands", "arm wrestling", "celebrating"]


@pytest.fixture
def timeline(qtbot):
    widget = ViewTimeline()
    qtbot.addWidget(widget)
    widget.resize(812, widget.sizeHint().height())  # 800 px of track: 80 px a second
    widget.set_clip(10.0, 5, 16 / 15)
    for i, ((start, end), label) in enumerate(zip(SPANS, LABELS)):
        widget.set_view_result(i, start, end, label, 0.5 + i / 10)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def x_of(seconds: float) -> int:
    return round(6 + 800 * seconds / 10.0)


def test_a_click_at_a_time_selects_the_view_spanning_it(timeline, qtbot):
    y = round(timeline.segment_rect(0).center().y())
    with qtbot.waitSignal(timeline.view_clicked) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x_of(7.0), y))
    assert blocker.args == [3]
    assert timeline.selected_view() == 3
    with qtbot.waitSignal(timeline.view_clicked) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x_of(0.5), y))
    assert blocker.args == [0]


def test_a_click_between_views_emits_nothing(timeline, qtbot):
    y = round(timeline.segment_rect(0).center().y())
    with qtbot.assertNotEmitted(timeline.view_clicked):
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x_of(1.6), y))
    assert timeline.view_at(QPoint(x_of(1.6), y)) is None


def test_segments_are_placed_by_time(timeline):
    rect = timeline.segment_rect(2)
    assert rect.left() == pytest.approx(x_of(4.4), abs=1)
    assert rect.right() == pytest.approx(x_of(5.47), abs=2)


def test_keyboard_moves_the_selection_and_enter_clicks(timeline, qtbot):
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    assert timeline.selected_view() == 0
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    assert timeline.selected_view() == 1
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    qtbot.keyClick(timeline, Qt.Key.Key_Right)  # stays on the last view
    assert timeline.selected_view() == 4
    with qtbot.waitSignal(timeline.view_clicked) as blocker:
        qtbot.keyClick(timeline, Qt.Key.Key_Return)
    assert blocker.args == [4]


def test_select_view_outlines_without_emitting(timeline, qtbot):
    before = timeline.grab().toImage()
    with qtbot.assertNotEmitted(timeline.view_clicked):
        timeline.select_view(2)
    assert timeline.selected_view() == 2
    assert timeline.grab().toImage() != before
    timeline.select_view(None)
    assert timeline.selected_view() is None


def test_a_label_keeps_its_colour(timeline):
    image = timeline.grab().toImage()
    colour = [image.pixelColor(timeline.segment_rect(i).toRect().bottomRight() - QPoint(3, 3)) for i in range(5)]
    assert colour[0] == colour[1] == colour[3]  # all "arm wrestling"
    assert colour[0] == label_colour("arm wrestling", timeline.palette())
    assert colour[2] != colour[0]


def test_pending_views_are_placeholders_until_their_result(qtbot):
    widget = ViewTimeline()
    qtbot.addWidget(widget)
    widget.resize(600, widget.sizeHint().height())
    widget.set_clip(10.0, 5, 16 / 15)
    assert widget.view_count() == 5
    assert widget.accessibleDescription().count("pending") == 5
    widget.set_view_result(0, 0.0, 1.07, "abseiling", 0.9)
    assert widget.accessibleDescription().count("pending") == 4
    assert "abseiling 90.0%" in widget.accessibleDescription()


def test_overlapping_views_of_a_short_clip_get_lanes(qtbot):
    widget = ViewTimeline()
    qtbot.addWidget(widget)
    widget.resize(600, 100)
    one_lane = widget.sizeHint().height()
    widget.set_clip(2.6, 5, 16 / 15)  # five 1.07 s views in 2.6 s overlap
    rects = [widget.segment_rect(i) for i in range(5)]
    for i in range(5):
        for j in range(i + 1, 5):
            assert not rects[i].intersects(rects[j]), (i, j)
    assert widget.sizeHint().height() > one_lane


def test_clear_empties_the_bar(timeline):
    timeline.select_view(1)
    timeline.clear()
    assert timeline.view_count() == 0 and timeline.selected_view() is None


def test_pending_crops_of_a_temporal_view_share_its_span(qtbot):
    widget = ViewTimeline()
    qtbot.addWidget(widget)
    widget.resize(600, widget.sizeHint().height())
    widget.set_clip(10.0, 6, 2.0, crops=3)
    rects = [widget.segment_rect(i) for i in range(6)]
    assert widget.sizeHint().height() > ViewTimeline().sizeHint().height()   # three lanes
    assert rects[0].left() == rects[1].left() == rects[2].left() < rects[3].left()
    assert len({r.top() for r in rects}) == 3
