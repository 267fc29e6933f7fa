"""FrameStrip: thumbnails per view, placeholders, highlight, clicks and keys."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor

from kinetoscope.ui.widgets.frame_strip import FrameStrip


def solid_crops(rgb: tuple[int, int, int], n: int = 16) -> np.ndarray:
    crops = np.zeros((n, 112, 112, 3), np.uint8)
    crops[...] = rgb
    return crops


def times(start: float, n: int = 16) -> list[float]:
    return [start + k / 15 for k in range(n)]


@pytest.fixture
def strip(qtbot):
    widget = FrameStrip()
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    widget.set_view_count(5, 16)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def region(widget: FrameStrip, rect: QRect):
    return widget.grab(rect).toImage()


def test_a_view_shows_its_sixteen_frames_and_others_stay_placeholders(strip):
    strip.set_view_frames(1, solid_crops((220, 30, 30)), times(2.2))

    assert strip.view_count() == 5
    assert strip.thumbnail_count(1) == 16
    assert [strip.thumbnail_count(v) for v in (0, 2, 3, 4)] == [0, 0, 0, 0]
    image = strip.grab().toImage()
    for f in (0, 7, 15):
        centre = strip.thumbnail_rect(1, f).center()
        assert image.pixelColor(centre) == QColor(220, 30, 30)
    placeholder = image.pixelColor(strip.thumbnail_rect(0, 0).center())
    assert placeholder != QColor(220, 30, 30)
    assert "1 of 5 views read" in strip.accessibleDescription()


def test_thumbnails_keep_their_own_copy_of_the_pixels(strip):
    crops = solid_crops((10, 200, 10))
    strip.set_view_frames(0, crops, times(0))
    crops[...] = 0  # the caller reuses its buffer
    centre = strip.thumbnail_rect(0, 3).center()
    assert strip.grab().toImage().pixelColor(centre) == QColor(10, 200, 10)


def test_thumbnails_sit_in_a_row_inside_the_panel(strip):
    first, last = strip.thumbnail_rect(2, 0), strip.thumbnail_rect(2, 15)
    assert first.top() == last.top()
    assert 28 <= first.width() <= 64
    assert last.right() < strip.width()
    assert strip.thumbnail_rect(3, 0).top() > first.bottom()


def test_the_active_view_is_highlighted_and_the_highlight_moves(strip):
    for v in range(5):
        strip.set_view_frames(v, solid_crops((40 * v, 90, 160)), times(2.2 * v))
    row2 = strip.thumbnail_rect(2, 0).adjusted(-8, -6, 8, 6)
    plain = region(strip, row2)

    strip.set_active_view(2)
    assert strip.active_view() == 2
    assert region(strip, row2) != plain

    strip.set_active_view(3)
    assert strip.active_view() == 3
    assert region(strip, row2) == plain


def test_clicking_a_thumbnail_emits_its_view(strip, qtbot):
    strip.set_view_frames(3, solid_crops((0, 0, 255)), times(6.6))
    with qtbot.waitSignal(strip.view_clicked) as blocker:
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.thumbnail_rect(3, 5).center())
    assert blocker.args == [3]
    assert strip.selected_view() == 3


def test_keyboard_moves_the_selection_and_enter_clicks(strip, qtbot):
    strip.setFocus()
    qtbot.keyClick(strip, Qt.Key.Key_Down)
    qtbot.keyClick(strip, Qt.Key.Key_Down)
    assert strip.selected_view() == 1
    with qtbot.waitSignal(strip.view_clicked) as blocker:
        qtbot.keyClick(strip, Qt.Key.Key_Return)
    assert blocker.args == [1]


def test_set_selected_view_none_and_clear(strip):
    strip.set_selected_view(4)
    assert strip.selected_view() == 4
    strip.set_selected_view(None)
    assert strip.selected_view() is None
    strip.clear()
    assert strip.view_count() == 0


def test_frames_for_a_view_beyond_the_count_extend_it(strip):
    strip.set_view_frames(6, solid_crops((1, 2, 3)), times(0))
    assert strip.view_count() == 7


def test_wrong_crops_are_refused(strip):
    with pytest.raises(ValueError):
        strip.set_view_frames(0, np.zeros((16, 112, 112), np.uint8), times(0))
    with pytest.raises(ValueError):
        strip.set_view_frames(0, solid_crops((0, 0, 0)), times(0, n=15))


def test_height_follows_the_views(qtbot):
    widget = FrameStrip()
    qtbot.addWidget(widget)
    widget.set_view_count(2)
    two = widget.heightForWidth(900)
    widget.set_view_count(5)
    assert widget.heightForWidth(900) > two
