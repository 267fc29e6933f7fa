"""The preview and the analysis are linked: a view or a frame clicked moves the preview there, and a
playhead on the timeline follows the preview as it plays."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.ui.main.clip_queue import ClipState


def _classified(qapp: QApplication, make_window, clip, views: int = 3):  # noqa: ANN001, ANN202
    window = make_window(views=views)
    window.open_paths([clip])
    view = window.clip_view
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE
               and view.preview.duration_s() > 0 and not view.preview.is_busy(), what="the clip classified and shown")
    return window, view


def test_clicking_a_view_seeks_the_preview_to_it(qapp: QApplication, qtbot, make_window, sample_clip) -> None:
    window, view = _classified(qapp, make_window, sample_clip)
    timeline, preview = view.timeline, view.preview
    last = timeline.view_count() - 1
    start = view._views[last].start_s
    assert start > 0.2  # the last view starts well into the clip, so a seek is visible
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.segment_rect(last).center().toPoint())
    assert view.selected_view == last
    assert abs(preview.position_s() - start) < 1e-6
    wait_until(qapp, lambda: not preview.is_busy() and preview.shown_time_s() is not None
               and abs(preview.shown_time_s() - start) < 0.1, what="the frame at the view's start")
    assert abs(timeline.playhead() - start) < 1e-6  # the playhead is where the preview is
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_clicking_a_frame_seeks_the_preview_to_that_frame(qapp: QApplication, qtbot, make_window,
                                                          sample_clip) -> None:
    window, view = _classified(qapp, make_window, sample_clip)
    strip, preview = view.frame_strip, view.preview
    strip.parentWidget().parentWidget().ensureVisible(0, 0)
    frame = strip.thumbnail_count(1) - 3
    wanted = strip._views[1].times_s[frame]
    for _ in range(2):  # twice: a second click on the chosen view's frame keeps the view chosen
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.thumbnail_rect(1, frame).center())
        assert view.selected_view == 1
        assert abs(preview.position_s() - wanted) < 1e-6
    wait_until(qapp, lambda: not preview.is_busy() and preview.shown_time_s() is not None
               and abs(preview.shown_time_s() - wanted) < 0.1, what="the clicked frame")
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_a_playhead_follows_playback_at_a_modest_rate(qapp: QApplication, make_window, sample_clip) -> None:
    window, view = _classified(qapp, make_window, sample_clip)
    timeline, preview = view.timeline, view.preview
    assert timeline.playhead() == 0.0
    said: list[float] = []
    preview.position_changed.connect(said.append)
    before = timeline.grab().toImage()
    preview.play()
    started = time.monotonic()
    wait_until(qapp, lambda: time.monotonic() - started > 0.6, what="playback")
    preview.pause()
    elapsed = time.monotonic() - started
    head = timeline.playhead()
    assert head is not None and head > 0.3
    assert abs(head - preview.position_s()) < 1e-6  # the pause says where it stopped
    assert len(said) <= elapsed * 31 + 2  # at most ~30 Hz, whatever the clip's frame rate
    assert len(said) >= 5  # but it moved along, not only at the end
    # Drawn: the column at the playhead changed, and the strip it lives in is narrow.
    x = timeline.playhead_rect(head).center().x()
    y = timeline.segment_rect(0).center().y()
    assert timeline.grab().toImage().pixelColor(QPoint(x, round(y))) != before.pixelColor(QPoint(x, round(y)))
    assert timeline.playhead_rect(head).width() <= 10
    wait_until(qapp, lambda: not window.engine.busy() and not preview.is_busy(), what="the engine")
