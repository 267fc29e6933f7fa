"""The window at a small and a large size: nothing readable is cut off, and big windows leave no gaps."""

from __future__ import annotations

import shutil
import time

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget

from helpers import wait_until
from kinetoscope.ui.main.clip_queue import ClipState
from kinetoscope.ui.main.window import DEFAULT_SIZE, MIN_SIZE


def _settle(qapp: QApplication, seconds: float = 0.15) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.01)


def _shown_whole(widget: QWidget) -> bool:
    """On screen and not clipped by any parent (a scroll area's viewport, a splitter pane)."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def _figures_still(qapp: QApplication, window) -> None:  # noqa: ANN001
    """Stop the memory samples and let the graphs show their last figures. The figures' text changes
    at most once a second, and a figure that wraps onto another line moves the column it sits in:
    on a loaded machine that landed between a test's before and after."""
    window.graphs.stop_memory_sampling()
    wait_until(qapp, lambda: not window.graphs.figures_pending(), what="the graphs' figures shown")
    _settle(qapp)


def _classified(qapp: QApplication, make_window, clip, size: tuple[int, int]):  # noqa: ANN001, ANN202
    window = make_window(views=3)
    window.resize(*size)
    window.open_paths([clip])
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE, what="the clip classified")
    _figures_still(qapp, window)
    return window


def test_at_900x600_the_top5_and_the_graph_figures_are_readable(qapp: QApplication, make_window,
                                                                 sample_clip, tmp_path) -> None:
    clip = tmp_path / "a_long_clip_name_as_phones_and_cameras_write_them_20261129_221100.mp4"
    shutil.copyfile(sample_clip, clip)
    window = _classified(qapp, make_window, clip, (900, 600))
    assert window.size().width() == 900 and window.size().height() == 600  # the minimum size allows it
    view = window.clip_view
    top5 = view.predictions
    assert len(top5.predictions()) == 5
    assert top5.height() >= top5.sizeHint().height()  # every row drawn, none squeezed
    assert _shown_whole(top5)  # without scrolling: it is what the window is for
    graphs = window.graphs
    for caption in (graphs._latency_text, graphs._memory_text):
        assert caption.height() >= caption.heightForWidth(caption.width()), caption.text()  # no line cut off
        view.side_scroll.ensureWidgetVisible(caption, 0, 0)  # reachable by scrolling the side column
        _settle(qapp, 0.05)
        assert _shown_whole(caption), caption.text()
    for plot in (graphs._latency_plot, graphs._memory_plot):
        assert plot.height() >= plot.minimumHeight()
    # Every view's row of frames is there to scroll to, and the timeline is whole.
    assert _shown_whole(view.timeline)
    strip = view.frame_strip
    assert strip.height() >= strip.heightForWidth(strip.width())
    # A long clip name is elided in the narrow list, not scrolled sideways under a scroll bar.
    assert not window.queue.horizontalScrollBar().isVisible()
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_at_the_minimum_size_the_side_column_fits_and_scrolls_to_the_top5_and_graphs(
        qapp: QApplication, make_window, sample_clip) -> None:
    """At 800x560 the side column was cut off at the window's edge, its scroll bar with it."""
    window = _classified(qapp, make_window, sample_clip, MIN_SIZE)
    assert window.size().toTuple() == MIN_SIZE
    assert window.centralWidget().minimumSizeHint().width() <= MIN_SIZE[0]  # nothing laid out past the edge
    view = window.clip_view
    side = view.side_scroll
    right_edge = side.mapTo(window, side.rect().topRight()).x()
    assert right_edge < window.width() and _shown_whole(side), (right_edge, window.width())
    # Whatever does not fit is one scroll away: the top-5's percentages and both graphs.
    for widget in (view.predictions, window.graphs._latency_plot, window.graphs._memory_plot,
                   window.graphs._memory_text):
        # (Not ensureWidgetVisible: a plot's input-method rectangle is not the plot.)
        centre = widget.mapTo(side.widget(), widget.rect().center())
        side.ensureVisible(centre.x(), centre.y(), widget.width() // 2 + 1, widget.height() // 2 + 1)
        _settle(qapp, 0.05)
        side.horizontalScrollBar().setValue(side.horizontalScrollBar().maximum())  # to the percentages
        _settle(qapp, 0.05)
        on_screen = QRect(widget.mapTo(side.viewport(), widget.rect().topLeft()), widget.size())
        assert side.viewport().rect().contains(on_screen.topRight()), (widget, on_screen)
        assert side.viewport().rect().contains(on_screen.bottomRight()), (widget, on_screen)
    # And so is the scan page's row of controls.
    view.show_page(window.scan_pane)
    _settle(qapp, 0.05)
    page = window.scan_pane.parentWidget().parentWidget()
    assert page.mapTo(window, page.rect().topRight()).x() < window.width()
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_a_large_window_gives_the_room_to_the_plots_and_frames(qapp: QApplication, make_window,
                                                               sample_clip) -> None:
    window = _classified(qapp, make_window, sample_clip, DEFAULT_SIZE)
    view, graphs = window.clip_view, window.graphs
    before = (graphs._latency_plot.height(), view.frame_strip.width(), view.frame_strip.thumbnail_rect(0, 0).width())
    window.resize(1600, 1000)
    _settle(qapp)
    after = (graphs._latency_plot.height(), view.frame_strip.width(), view.frame_strip.thumbnail_rect(0, 0).width())
    assert after[0] > before[0] + 60, (before, after)  # the plots grew with the height
    assert after[1] > before[1] and after[2] > before[2], (before, after)  # the strip and its thumbnails too
    # No band of nothing under the frames: the bottom pane is as tall as its views need.
    assert view.bottom.height() - view.bottom_needs() <= 8, (view.bottom.height(), view.bottom_needs())
    strip_area = QRect(view.frame_strip.mapTo(view, view.frame_strip.rect().topLeft()), view.frame_strip.size())
    assert strip_area.bottom() >= view.height() - 20
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_the_error_banner_floats_over_the_clip_view_and_moves_nothing(qapp: QApplication, make_window) -> None:
    window = make_window(views=1)
    window.resize(1000, 700)
    window.show()
    _figures_still(qapp, window)

    def places() -> tuple:
        return tuple(w.mapTo(window, w.rect().topLeft()) for w in (window.splitter, window.queue, window.clip_view))

    before = places()
    window.errors.show_message("Could not classify x.mp4. The file is not a video.", "detail\n" * 6, hint="Try another")
    _settle(qapp)
    assert window.errors.isVisible() and window.errors.message.startswith("Could not classify")
    assert places() == before  # nothing moved
    view, banner = window.clip_view, window.errors.geometry()
    assert window.errors.parentWidget() is view and view.children()[-1] is window.errors  # raised over it
    assert banner.width() == view.width() - 8 and banner.height() >= window.errors.minimumSizeHint().height()
    controls = QRect(window.controls.mapTo(window, window.controls.rect().topLeft()), window.controls.size())
    assert not controls.intersects(QRect(window.errors.mapTo(window, window.errors.rect().topLeft()), banner.size()))
    window.errors.set_details_visible(True)  # the details grow it downwards, over the view
    _settle(qapp)
    assert window.errors.height() > banner.height() and places() == before
    window.resize(800, 700)
    _settle(qapp)
    assert window.errors.width() == view.width() - 8  # follows the view's width
    window.errors.dismiss()
    _settle(qapp)
    assert not window.errors.isVisible() and places()[0] == before[0]
