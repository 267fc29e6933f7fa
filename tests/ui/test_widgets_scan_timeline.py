"""ScanTimeline: thousands of windows painted cheaply, tooltips, clicks, find action, zoom and scroll.

The windows are the engine's own `ScanWindow` values with the demo model's labels; their
probabilities come from a seeded generator, in runs of one action as a real recording has.
"""

from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QHelpEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from helpers import wait_until
from lag_probe import LAG_LIMIT_MS, LagProbe
from kinetoscope.engine.media.synthetic import MOTION_LABELS
from kinetoscope.engine.inference.results import top_k
from kinetoscope.engine.inference.scan import ScanWindow, SegmentRule, segments_from
from kinetoscope.ui.widgets._look import label_colour
from kinetoscope.ui.widgets.predictions import percent
from kinetoscope.ui.widgets.scan_timeline import REPAINT_INTERVAL_MS, ScanTimeline

WIDTH = 1016  # 1000 px of track


def make_windows(n: int, length_s: float = 1.0, seed: int = 0) -> list[ScanWindow]:
    """`n` back-to-back windows whose top action changes every few dozen windows."""
    rng = np.random.default_rng(seed)
    windows, action = [], 0
    for i in range(n):
        if rng.random() < 0.04:
            action = int(rng.integers(len(MOTION_LABELS)))
        probs = rng.dirichlet(np.full(len(MOTION_LABELS), 0.6)).astype(np.float32)
        probs[action] += 1.5
        probs /= probs.sum()
        windows.append(ScanWindow(i, i * length_s, (i + 1) * length_s, probs, top_k(probs, MOTION_LABELS), 5.0))
    return windows


@pytest.fixture
def make_timeline(qtbot):
    def make(windows: list[ScanWindow], *, segments: bool = True) -> ScanTimeline:
        widget = ScanTimeline()
        qtbot.addWidget(widget)
        widget.resize(WIDTH, widget.sizeHint().height())
        segs = segments_from(windows, MOTION_LABELS, SegmentRule()) if segments else ()
        widget.set_windows(windows, segs, windows[-1].end_s if windows else 0.0, MOTION_LABELS)
        widget.show()
        qtbot.waitExposed(widget)
        return widget
    return make


def bars_y(widget: ScanTimeline) -> int:
    return round(widget.bars_rect().center().y())


@pytest.mark.parametrize("count", [600, 3600])
def test_thousands_of_windows_paint_in_a_few_milliseconds(make_timeline, count):
    windows = make_windows(count)
    widget = make_timeline(windows)
    widget.paint_ms.clear()
    for zoom in (1.0, 4.0, 40.0):  # the whole clip; a stretch; a few windows wide enough to draw one by one
        widget.set_zoom(zoom)
        widget.viewport().grab()
    widget.find("moving left", 0.2)
    widget.viewport().grab()
    assert len(widget.paint_ms) == 4
    print(f"\n{count} windows: paints took {', '.join(f'{ms:.1f}' for ms in widget.paint_ms)} ms")
    assert max(widget.paint_ms) < 40, widget.paint_ms
    assert len(widget.track) == count


def test_each_window_is_painted_in_its_top_actions_colour(make_timeline):
    windows = make_windows(60)
    widget = make_timeline(windows)
    widget.set_zoom(3.0)
    widget.scroll_to(10.0)
    image = widget.viewport().grab().toImage()
    for w in windows[12:20]:
        x = round(widget.x_of((w.start_s + w.end_s) / 2))
        expected = label_colour(w.top5[0].label, widget.palette(), w.top5[0].index)
        assert image.pixelColor(x, bars_y(widget)) == expected, w.index


def test_streaming_windows_never_stall_the_gui_and_repaints_are_coalesced(qapp: QApplication, qtbot):
    """A 10-minute scan's windows at one a second, then an hour's, arriving in small batches as fast as
    a scan on a fast machine hands them over: the GUI thread stays free and paints ~10 times a second."""
    widget = ScanTimeline()
    qtbot.addWidget(widget)
    widget.resize(WIDTH, widget.sizeHint().height())
    widget.show()
    qtbot.waitExposed(widget)
    for count in (600, 3600):
        windows = make_windows(count, seed=count)
        widget.set_clip(float(count), MOTION_LABELS)
        widget.find("moving up", 0.3)
        widget.paint_ms.clear()
        feeder = QTimer(interval=5)
        batch = max(1, count // 300)  # the whole scan in ~1.5 s of batches
        fed = [0]

        def feed() -> None:
            widget.add_windows(windows[fed[0]:fed[0] + batch])
            fed[0] += batch

        feeder.timeout.connect(feed)
        with LagProbe() as lag:
            feeder.start()
            wait_until(qapp, lambda: fed[0] >= count, what="every window to be fed")
            feeder.stop()
            wait_until(qapp, lambda: len(widget.track) == count and widget.match_count() > 0, what="the last paint")
            widget.flush()
        elapsed = lag.elapsed_s
        print(f"\n{count} windows streamed in {elapsed:.2f} s: {len(widget.paint_ms)} paints, "
              f"worst paint {max(widget.paint_ms):.1f} ms; {lag.report()}")
        assert lag.worst_busy_ms < LAG_LIMIT_MS
        # Coalesced: far fewer paints than batches (300), about one per repaint interval.
        assert len(widget.paint_ms) <= elapsed * 1000 / REPAINT_INTERVAL_MS + 5
        assert widget.match_count() == sum(
            any(p.label == "moving up" and p.prob >= 0.3 for p in w.top5) for w in windows)


def test_hovering_a_window_shows_its_time_and_top5(make_timeline, qapp):
    windows = make_windows(600)
    widget = make_timeline(windows)
    widget.set_zoom(10.0)
    widget.scroll_to(120.0)
    target = windows[130]
    x = round(widget.x_of(130.5))
    pos = QPoint(x, bars_y(widget))
    event = QHelpEvent(QEvent.Type.ToolTip, pos, widget.viewport().mapToGlobal(pos))
    QApplication.sendEvent(widget.viewport(), event)
    text = QToolTip.text()
    QToolTip.hideText()
    assert text.startswith("Window 131: 2:10.0 – 2:11.0")
    lines = text.splitlines()[1:]
    assert lines == [f"{k}. {p.label} {percent(p.prob)}" for k, p in enumerate(target.top5, 1)]
    assert len(lines) == 5


def test_a_click_emits_the_time_under_the_pointer_and_moves_the_playhead(make_timeline, qtbot):
    widget = make_timeline(make_windows(600))  # 0.6 s a pixel at fit
    with qtbot.waitSignal(widget.time_clicked) as blocker:
        qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(8 + 500, bars_y(widget)))
    assert blocker.args[0] == pytest.approx(300.0, abs=0.6)
    assert widget.position() == blocker.args[0]
    widget.set_zoom(20.0)
    widget.scroll_to(100.0)
    with qtbot.waitSignal(widget.time_clicked) as blocker:
        qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(8 + 100, bars_y(widget)))
    assert blocker.args[0] == pytest.approx(103.0, abs=0.05)


def test_find_action_highlights_exactly_the_windows_with_it_in_the_top5(make_timeline, qtbot):
    windows = make_windows(600)
    widget = make_timeline(windows)
    for label, threshold in (("moving left", 0.2), ("still", 0.05), ("growing", 0.6)):
        expected = [w.index for w in windows if any(p.label == label and p.prob >= threshold for p in w.top5)]
        with qtbot.waitSignal(widget.matches_changed) as blocker:
            assert widget.find(label, threshold) == len(expected)
        assert blocker.args == [len(expected)]
        assert widget.matched_windows().tolist() == expected
    # Painted: matches in full colour under a highlight mark, the others faded into the track.
    label, threshold = "moving left", 0.2
    widget.find(label, threshold)
    widget.set_zoom(10.0)
    widget.scroll_to(0.0)
    image = widget.viewport().grab().toImage()
    highlight = widget.palette().color(widget.palette().ColorRole.Highlight)
    mark_y = round(widget.bars_rect().top()) - 3
    t0, t1 = widget.visible_range()
    for w in windows[int(t0) + 1:int(t1) - 1]:
        x = round(widget.x_of(w.start_s + 0.5))
        full = label_colour(w.top5[0].label, widget.palette(), w.top5[0].index)
        hit = any(p.label == label and p.prob >= threshold for p in w.top5)
        assert (image.pixelColor(x, bars_y(widget)) == full) is hit, w.index
        assert (image.pixelColor(x, mark_y) == highlight) is hit, w.index
    assert widget.find(None, 0.2) == 0
    assert widget.find("not an action", 0.2) == 0


def test_zoom_and_scroll_change_the_visible_range(make_timeline, qtbot):
    widget = make_timeline(make_windows(3600))
    assert widget.visible_range() == pytest.approx((0.0, 3600.0))
    assert not widget.zoom_out_button.isEnabled() and widget.zoom_in_button.isEnabled()
    # Ctrl+wheel zooms around the pointer: the time under it stays put.
    x = 8 + 250
    before = widget.time_at(x)
    wheel = QWheelEvent(QPointF(x, 20), widget.viewport().mapToGlobal(QPointF(x, 20)), QPoint(0, 0), QPoint(0, 120 * 4),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget.viewport(), wheel)
    t0, t1 = widget.visible_range()
    assert widget.zoom() == pytest.approx(1.5 ** 4)
    assert t1 - t0 == pytest.approx(3600 / 1.5 ** 4, rel=0.01)
    assert widget.time_at(x) == pytest.approx(before, abs=1.0)
    # A plain wheel scrolls along.
    wheel = QWheelEvent(QPointF(x, 20), widget.viewport().mapToGlobal(QPointF(x, 20)), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget.viewport(), wheel)
    assert widget.visible_range()[0] > t0
    # Keys: + and - zoom about the middle, End goes to the end, 0 fits.
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Plus)
    assert widget.zoom() == pytest.approx(1.5 ** 5)
    qtbot.keyClick(widget, Qt.Key.Key_End)
    assert widget.visible_range()[1] == pytest.approx(3600.0, abs=1.0)
    qtbot.keyClick(widget, Qt.Key.Key_Minus)
    assert widget.zoom() == pytest.approx(1.5 ** 4)
    widget.zoom_in_button.click()
    assert widget.zoom() == pytest.approx(1.5 ** 5)
    # The deepest zoom shows a few seconds, not less.
    widget.set_zoom(1e9)
    t0, t1 = widget.visible_range()
    assert 5 < t1 - t0 < 10
    assert not widget.zoom_in_button.isEnabled()
    qtbot.keyClick(widget, Qt.Key.Key_0)
    assert widget.visible_range() == pytest.approx((0.0, 3600.0))
    assert not widget.fit_button.isEnabled()


def test_segments_row_shows_the_merged_spans(make_timeline):
    windows = make_windows(300)
    widget = make_timeline(windows)
    segments = segments_from(windows, MOTION_LABELS, SegmentRule())
    widget.set_zoom(2.0)
    widget.scroll_to(0.0)
    seg = next(s for s in segments if widget.x_of(s.end_s) - widget.x_of(s.start_s) > 20
               and widget.x_of(s.end_s) < WIDTH - 8)
    x = round(widget.x_of((seg.start_s + seg.end_s) / 2))
    y = round(widget.segments_rect().center().y())
    text = widget.tooltip_at(x, y)
    assert text.startswith(f"{seg.label} from ") and percent(seg.prob) in text
    image = widget.viewport().grab().toImage()
    expected = label_colour(seg.label, widget.palette(), MOTION_LABELS.index(seg.label))
    assert image.pixelColor(x, round(widget.segments_rect().top()) + 3) == expected


def test_an_empty_timeline_says_so_and_ignores_clicks(qtbot):
    widget = ScanTimeline()
    qtbot.addWidget(widget)
    widget.resize(WIDTH, widget.sizeHint().height())
    widget.clear("Not scanned yet")
    widget.show()
    qtbot.waitExposed(widget)
    with qtbot.assertNotEmitted(widget.time_clicked):
        qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(100, bars_y(widget)))
    assert widget.window_at(100) is None
    assert widget.accessibleDescription() == "Not scanned yet"
