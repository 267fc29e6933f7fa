"""LiveGraphs: ring buffers, figures, the single repaint timer, palettes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette

from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.ring_buffer import RingBuffer


def test_ring_buffer_wraps_past_capacity():
    ring = RingBuffer(5)
    assert len(ring) == 0 and ring.latest() is None
    for v in range(12):
        ring.append(v)
    assert list(ring.values()) == [7, 8, 9, 10, 11]
    assert len(ring) == 5 and ring.total == 12 and ring.latest() == 11
    ring.append(12)
    assert list(ring.values()) == [8, 9, 10, 11, 12]
    ring.clear()
    assert len(ring) == 0 and list(ring.values()) == []


def test_ring_buffer_exactly_full():
    ring = RingBuffer(3)
    for v in (1, 2, 3):
        ring.append(v)
    assert list(ring.values()) == [1, 2, 3]


@pytest.fixture
def graphs(qtbot):
    widget = LiveGraphs(capacity=100)
    qtbot.addWidget(widget)
    widget.resize(700, 220)
    return widget


def test_history_wraps_and_the_plot_shows_the_latest(graphs, qtbot):
    graphs.show()
    qtbot.waitExposed(graphs)
    for v in range(250):
        graphs.add_latency(float(v))
    assert np.array_equal(graphs.latency_values(), np.arange(150, 250, dtype=float))
    qtbot.waitUntil(lambda: graphs.repaint_count >= 1, timeout=1000)
    x, y = graphs._latency.item.getOriginalDataset()
    assert np.array_equal(x, np.arange(151, 251))  # views are numbered across the wrap
    assert np.array_equal(y, np.arange(150, 250))


def test_figures_show_latest_and_median(graphs, qtbot):
    graphs.show()
    for ms in (10.0, 20.0, 30.0, 1000.0):
        graphs.add_latency(ms)
    for mb in (400.0, 420.0, 500.0):
        graphs.add_memory(mb)
    qtbot.waitUntil(lambda: "median" in graphs.latency_text() and "1000.0" in graphs.latency_text(), timeout=2500)
    text = graphs.latency_text()
    assert "latest <b>1000.0 ms</b>" in text and "median <b>25.0 ms</b>" in text and "4 views" in text
    qtbot.waitUntil(lambda: "500 MB" in graphs.memory_text(), timeout=2500)
    assert "median <b>420 MB</b>" in graphs.memory_text() and "peak 500 MB" in graphs.memory_text()


def test_text_refreshes_at_most_once_a_second(graphs, qtbot):
    graphs.show()
    graphs.add_latency(5.0)
    qtbot.waitUntil(lambda: "5.0 ms" in graphs.latency_text(), timeout=2500)
    graphs.add_latency(7.0)
    repaints = graphs.repaint_count
    qtbot.waitUntil(lambda: graphs.repaint_count > repaints, timeout=1000)
    assert "latest <b>5.0 ms</b>" in graphs.latency_text()  # the curve moved, the text not yet
    qtbot.waitUntil(lambda: "latest <b>7.0 ms</b>" in graphs.latency_text(), timeout=2000)


def test_repaint_timer_idles_while_hidden_and_when_nothing_changed(graphs, qtbot):
    for v in range(20):
        graphs.add_latency(float(v))
    assert not graphs.isVisible()
    assert not graphs.repaint_timer_active()
    qtbot.wait(250)
    assert graphs.repaint_count == 0

    graphs.show()
    assert graphs.repaint_timer_active()
    qtbot.waitUntil(lambda: graphs.repaint_count == 1, timeout=1000)
    # Once drawn and the figures are current, the timer stops until the next append.
    qtbot.waitUntil(lambda: not graphs.repaint_timer_active(), timeout=2500)
    assert graphs.repaint_count == 1

    graphs.hide()
    graphs.add_latency(1.0)
    assert not graphs.repaint_timer_active()


def test_many_appends_make_one_repaint(graphs, qtbot):
    graphs.show()
    qtbot.waitUntil(lambda: not graphs.repaint_timer_active(), timeout=2500)
    before = graphs.repaint_count
    for v in range(500):
        graphs.add_latency(float(v))
    qtbot.wait(150)
    assert graphs.repaint_count - before in (1, 2)


def test_clear_forgets_history(graphs, qtbot):
    graphs.show()
    graphs.add_latency(3.0)
    graphs.add_memory(100.0)
    graphs.clear()
    assert len(graphs.latency_values()) == 0 and len(graphs.memory_values()) == 0
    assert "no views yet" in graphs.latency_text()
    assert "no samples yet" in graphs.memory_text()


def test_clear_button(graphs, qtbot):
    graphs.add_latency(3.0)
    graphs._clear_button.click()
    assert len(graphs.latency_values()) == 0


def test_memory_sampling(graphs, qtbot):
    graphs.start_memory_sampling(interval_ms=20)
    qtbot.waitUntil(lambda: len(graphs.memory_values()) >= 3, timeout=2000)
    graphs.stop_memory_sampling()
    values = graphs.memory_values()
    assert np.all(values > 1.0)  # a Python process with Qt holds far more than 1 MB
    count = len(values)
    qtbot.wait(100)
    assert len(graphs.memory_values()) == count


@pytest.mark.parametrize("base", ["#ffffff", "#1b1c1f"])
def test_plots_follow_the_palette(qtbot, base):
    widget = LiveGraphs()
    qtbot.addWidget(widget)
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor(base))
    widget.setPalette(palette)
    assert widget._latency_plot.backgroundBrush().color() == QColor(base)
    assert widget._memory_plot.backgroundBrush().color() == QColor(base)


def test_figures_describe_the_latest_run_and_runs_are_marked(graphs, qtbot):
    graphs.show()
    graphs.start_run("demo (float) · CPU")
    for ms in (16.0, 16.0, 17.0):
        graphs.add_latency(ms)
    assert graphs.run_markers() == []  # the first run needs no boundary
    graphs.start_run("demo (float) · CPU")  # the next clip, same model and device: same run
    graphs.add_latency(15.0)
    graphs.start_run("i3d (float) · NPU (HTP simulator)")
    for ms in (580.0, 590.0):
        graphs.add_latency(ms)
    assert graphs.run_markers() == [(4.5, "i3d (float) · NPU (HTP simulator)")]  # both changed
    qtbot.waitUntil(lambda: "590.0" in graphs.latency_text(), timeout=2500)
    text = graphs.latency_text()
    assert "median <b>585.0 ms</b>" in text  # not mixed with the CPU run's 16 ms views
    assert "2 views" in text and "NPU (HTP simulator)" in text


def test_clear_forgets_runs_and_resets_the_axes(graphs, qtbot):
    graphs.show()
    qtbot.waitExposed(graphs)
    graphs.start_run("a · CPU")
    graphs.add_latency(10.0)
    graphs.start_run("b · NPU")
    for ms in range(200):
        graphs.add_latency(500.0 + ms)
    for mb in (3000.0, 3100.0):
        graphs.add_memory(mb)
    qtbot.waitUntil(lambda: graphs.repaint_count >= 1, timeout=1000)
    qtbot.waitUntil(lambda: graphs._latency_plot.getPlotItem().viewRange()[1][1] > 500, timeout=1000)

    graphs.clear()
    assert graphs.run_markers() == []
    for plot in (graphs._latency_plot, graphs._memory_plot):
        (x0, x1), (y0, y1) = plot.getPlotItem().viewRange()
        assert x1 <= 2 and y1 <= 2, (x1, y1)  # not the old runs' ranges
    graphs.add_latency(5.0)
    qtbot.waitUntil(lambda: "5.0" in graphs.latency_text(), timeout=2500)
    assert "1 view" in graphs.latency_text()
