"""The two pyqtgraph plots of the live graphs: latency per view and memory over time.

Only `LiveGraphs` uses this module, and it imports it after the window's first paint: pyqtgraph
takes about a second to import on a two-core laptop (its Qt shim walks PySide6's modules), which
would otherwise delay the window and the first result.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from kinetoscope.ui.widgets._look import blend, is_dark
from kinetoscope.ui.widgets.ring_buffer import RingBuffer


class _Curve:
    """One PlotDataItem for the widget's lifetime, fed with setData: no item churn per frame."""

    def __init__(self, plot: pg.PlotWidget, symbols_up_to: int) -> None:
        self.item: pg.PlotDataItem = plot.plot()
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, method="peak")
        self.with_symbols = False
        self.symbols_up_to = symbols_up_to  # symbols make a handful of points readable, but cost per point

    def show(self, x: RingBuffer, y: RingBuffer) -> None:
        n = len(y)
        symbols = 0 < n <= self.symbols_up_to
        if symbols != self.with_symbols:
            self.with_symbols = symbols
            self.item.setSymbol("o" if symbols else None)
        self.item.setData(x.values(), y.values(), skipFiniteCheck=True)


class LivePlots:
    """The latency and memory plots (widgets parented to `parent`), their curves and run markers."""

    def __init__(self, parent: QWidget, symbols_up_to: int) -> None:
        self.latency_plot = _make_plot(parent, "ms", "View", "Latency (ms)", whole_x=True)
        self.memory_plot = _make_plot(parent, "MB", "Time (s)", "Memory (MB)")
        self.latency = _Curve(self.latency_plot, symbols_up_to)
        self.memory = _Curve(self.memory_plot, 0)  # a 2 Hz sampled line
        self._markers: list[pg.InfiniteLine] = []

    def plots(self) -> tuple[pg.PlotWidget, pg.PlotWidget]:
        return self.latency_plot, self.memory_plot

    def add_marker(self, x: float, label: str, palette: QPalette) -> None:
        """A dashed line where a run began on the latency plot, labelled with what changed."""
        text = blend(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.6)
        line = pg.InfiniteLine(pos=x, angle=90, movable=False,
                               pen=pg.mkPen(text, width=1, style=Qt.PenStyle.DashLine),
                               label=label, labelOpts={"position": 0.92, "color": text, "anchors": [(0, 0), (0, 0)]})
        self.latency_plot.addItem(line, ignoreBounds=True)
        self._markers.append(line)

    def place_marker_labels(self, middle: float) -> None:
        # A label in the right half of the plot goes left of its line, so it is not cut off.
        for line in self._markers:
            anchor = (1.0, 0.0) if line.value() > middle else (0.0, 0.0)
            line.label.anchors = [anchor, anchor]
            line.label.setAnchor(anchor)

    def clear(self) -> None:
        """No curves, no markers, and axes that start again from an empty frame (without data,
        auto-range would keep the last range)."""
        for curve in (self.latency, self.memory):
            curve.item.setData([], [])
        for line in self._markers:
            self.latency_plot.removeItem(line)
        self._markers.clear()
        for plot in self.plots():
            item = plot.getPlotItem()
            item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            item.enableAutoRange(x=True, y=True)

    def apply_palette(self, pal: QPalette) -> None:
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        axis = blend(text, base, 0.35)
        latency_colour = pal.color(QPalette.ColorRole.Highlight)
        memory_colour = QColor("#f0a04b") if is_dark(pal) else QColor("#c05a12")
        for plot in self.plots():
            plot.setBackground(base)
            item = plot.getPlotItem()
            for name in ("left", "bottom"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(axis))
                ax.setTextPen(pg.mkPen(text))
                ax.label.setDefaultTextColor(text)
        for curve, colour in ((self.latency, latency_colour), (self.memory, memory_colour)):
            curve.item.setPen(pg.mkPen(colour, width=2))
            curve.item.setSymbolBrush(colour)
            curve.item.setSymbolPen(pg.mkPen(base))
            curve.item.setSymbolSize(6)


def _make_plot(parent: QWidget, y_label: str, x_label: str, name: str, *, whole_x: bool = False) -> pg.PlotWidget:
    plot = pg.PlotWidget(parent, axisItems={"bottom": _CountAxis("bottom")} if whole_x else None)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    plot.setMinimumSize(150, 110)
    plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    item = plot.getPlotItem()
    item.setLabel("left", y_label)
    item.setLabel("bottom", x_label)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.enableAutoRange(x=True, y=True)
    plot.setAccessibleName(name)
    return plot


class _CountAxis(pg.AxisItem):
    """An axis of things counted (views): ticks on whole numbers only, never "1.5 views"."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803 - pyqtgraph's
        return [(spacing, [v for v in values if float(v).is_integer()])
                for spacing, values in super().tickValues(minVal, maxVal, size)]
