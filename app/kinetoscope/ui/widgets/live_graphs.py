"""Live plots of inference latency per view and of the process's memory.

Appending only writes into preallocated ring buffers and marks the plots stale; one timer
redraws them at ~10 Hz while the widget is visible, and the figures in text (costlier to lay
out than a curve is to redraw) change at most once a second.
"""

from __future__ import annotations

import html
import time

import numpy as np
import numpy.ma  # noqa: F401  np.median imports it lazily on first use (~30 ms): not mid-run
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolButton, QWidget

from kinetoscope.ui.widgets._look import blend, is_dark
from kinetoscope.ui.widgets.ring_buffer import RingBuffer

REPAINT_INTERVAL_MS = 100
TEXT_INTERVAL_S = 1.0
# Symbols make a handful of points readable but cost per point; above this, a line is enough.
_SYMBOLS_UP_TO = 200


class _Series:
    """One curve: x and y ring buffers and the plot item that shows them."""

    def __init__(self, plot: pg.PlotWidget, capacity: int, symbols_up_to: int) -> None:
        self.x = RingBuffer(capacity)
        self.y = RingBuffer(capacity)
        # One PlotDataItem for the widget's lifetime, fed with setData: no item churn per frame.
        self.item: pg.PlotDataItem = plot.plot()
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, method="peak")
        self.with_symbols = False
        self.symbols_up_to = symbols_up_to

    def append(self, x: float, y: float) -> None:
        self.x.append(x)
        self.y.append(y)

    def clear(self) -> None:
        self.x.clear()
        self.y.clear()
        self.item.setData([], [])

    def redraw(self) -> None:
        n = len(self.y)
        symbols = 0 < n <= self.symbols_up_to
        if symbols != self.with_symbols:
            self.with_symbols = symbols
            self.item.setSymbol("o" if symbols else None)
        self.item.setData(self.x.values(), self.y.values(), skipFiniteCheck=True)


def _what_changed(previous: str, label: str) -> str:
    """The parts of `label` (split at " · ") that differ from `previous`: a plot is narrow."""
    old = previous.split(" · ")
    parts = label.split(" · ")
    changed = [p for i, p in enumerate(parts) if i >= len(old) or old[i] != p]
    return " · ".join(changed or parts)


class LiveGraphs(QWidget):
    """Inference latency per view (ms) and resident memory over time (MB), with live figures.

    History survives across clips until `clear()` (or the Clear button).
    """

    def __init__(self, parent: QWidget | None = None, *, capacity: int = 10_000) -> None:
        super().__init__(parent)
        self.setAccessibleName("Live performance graphs")
        # Units only on the y axes: the figures above each plot name it, and a rotated
        # "Memory (MB)" did not fit the plot's height.
        self._latency_plot = self._make_plot("ms", "View", "Latency (ms)", whole_x=True)
        self._memory_plot = self._make_plot("MB", "Time (s)", "Memory (MB)")
        self._latency = _Series(self._latency_plot, capacity, _SYMBOLS_UP_TO)
        self._memory = _Series(self._memory_plot, capacity, 0)  # a 2 Hz sampled line
        self._memory_t0: float | None = None
        # Runs of one model on one device: the label, and the view number their first view gets.
        # Figures cover the latest run only (a median across an NPU and a CPU run means nothing);
        # a marker on the latency plot shows where each began.
        self._run_label = ""
        self._run_start = 1
        self._markers: list[pg.InfiniteLine] = []

        self._latency_text = QLabel(self)
        self._memory_text = QLabel(self)
        for label in (self._latency_text, self._memory_text):
            label.setWordWrap(True)  # narrow panes wrap the figures instead of cutting them off
        for label, name in ((self._latency_text, "Latency figures"), (self._memory_text, "Memory figures")):
            label.setAccessibleName(name)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        clear = QToolButton(self)
        clear.setText("Clear")
        clear.setToolTip("Forget the latency and memory history")
        clear.setAccessibleName("Clear graphs")
        clear.clicked.connect(self.clear)
        self._clear_button = clear

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        grid.addWidget(self._latency_text, 0, 0)
        grid.addWidget(self._memory_text, 0, 1)
        grid.addWidget(clear, 0, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self._latency_plot, 1, 0)
        grid.addWidget(self._memory_plot, 1, 1, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self._plots_stale = False
        self._text_stale = True
        self._text_shown_at = -TEXT_INTERVAL_S
        self.repaint_count = 0  # plot refreshes done, for benchmarks and tests

        self._timer = QTimer(self, interval=REPAINT_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._sampler = QTimer(self)
        self._sampler.timeout.connect(self._sample_memory)

        self._apply_palette()
        self._refresh_text()

    # -- public -----------------------------------------------------------------------------

    def start_run(self, label: str) -> None:
        """The views recorded from now on come from `label` ("i3d_kinetics (float) · CPU").

        A new label starts a new run: it gets a marker on the latency plot, and the latency
        figures describe it alone. The same label again (the next clip) continues the run.
        """
        if label == self._run_label:
            return
        previous, self._run_label = self._run_label, label
        self._run_start = self._latency.y.total + 1
        if self._latency.y.total:  # the first run needs no boundary; its label is in the figures
            text = blend(self.palette().color(QPalette.ColorRole.Text),
                         self.palette().color(QPalette.ColorRole.Base), 0.6)
            line = pg.InfiniteLine(pos=self._run_start - 0.5, angle=90, movable=False,
                                   pen=pg.mkPen(text, width=1, style=Qt.PenStyle.DashLine),
                                   label=_what_changed(previous, label), labelOpts={"position": 0.92, "color": text, "anchors": [(0, 0), (0, 0)]})
            self._latency_plot.addItem(line, ignoreBounds=True)
            self._markers.append(line)
        self._text_stale = True
        self._stale()

    def run_markers(self) -> list[tuple[float, str]]:
        """Where each run after the first began on the latency plot's x axis, and what changed."""
        return [(float(m.value()), m.label.toPlainText()) for m in self._markers]

    def add_latency(self, ms: float) -> None:
        """Record one view's inference time; numbered after every view recorded so far."""
        self._latency.append(self._latency.y.total + 1, ms)
        self._stale()

    def add_memory(self, mb: float, at_s: float | None = None) -> None:
        """Record the process's resident memory now (or `at_s` seconds after the first sample)."""
        if at_s is None:
            now = time.monotonic()
            if self._memory_t0 is None:
                self._memory_t0 = now
            at_s = now - self._memory_t0
        self._memory.append(at_s, mb)
        self._stale()

    def clear(self) -> None:
        """Forget all history and blank the plots and figures."""
        self._latency.clear()
        self._memory.clear()
        self._memory_t0 = None
        for line in self._markers:
            self._latency_plot.removeItem(line)
        self._markers.clear()
        self._run_label, self._run_start = "", 1
        # Without data, auto-range keeps the last range; start again from an empty frame.
        for plot in (self._latency_plot, self._memory_plot):
            item = plot.getPlotItem()
            item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            item.enableAutoRange(x=True, y=True)
        self._plots_stale = False
        self._text_stale = True
        self._refresh_text()

    def start_memory_sampling(self, interval_ms: int = 500) -> None:
        """Sample this process's memory every `interval_ms` until `stop_memory_sampling()`."""
        self._sampler.start(max(10, int(interval_ms)))
        self._sample_memory()

    def stop_memory_sampling(self) -> None:
        """Stop the periodic memory samples (history is kept)."""
        self._sampler.stop()

    def latency_values(self) -> np.ndarray:
        """The latencies held, oldest first (a copy)."""
        return np.array(self._latency.y.values())

    def memory_values(self) -> np.ndarray:
        """The memory samples held, oldest first (a copy)."""
        return np.array(self._memory.y.values())

    def latency_text(self) -> str:
        """The latency figures as currently shown."""
        return self._latency_text.text()

    def memory_text(self) -> str:
        """The memory figures as currently shown."""
        return self._memory_text.text()

    def figures_pending(self) -> bool:
        """Whether something recorded is not in the figures' text yet (it changes at most once a second)."""
        return self._text_stale

    def repaint_timer_active(self) -> bool:
        """Whether the repaint timer is running (it idles while hidden or up to date)."""
        return self._timer.isActive()

    def sizeHint(self) -> QSize:
        return QSize(720, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(320, 140)

    # -- events -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._plots_stale or self._text_stale:
            self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden plots are not drawn; whatever arrives meanwhile is drawn on the next show.
        self._timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_palette()

    # -- internals --------------------------------------------------------------------------

    def _stale(self) -> None:
        self._plots_stale = True
        self._text_stale = True
        if not self._timer.isActive() and self.isVisible():
            self._timer.start()

    def _tick(self) -> None:
        if self._plots_stale:
            self._plots_stale = False
            self._latency.redraw()
            self._memory.redraw()
            self._place_marker_labels()
            self.repaint_count += 1
        if self._text_stale and time.monotonic() - self._text_shown_at >= TEXT_INTERVAL_S:
            self._refresh_text()
        if not (self._plots_stale or self._text_stale):
            self._timer.stop()  # nothing new: stay idle until the next append

    def _place_marker_labels(self) -> None:
        # A label in the right half of the plot goes left of its line, so it is not cut off.
        middle = (self._latency.y.total + 1) / 2
        for line in self._markers:
            anchor = (1.0, 0.0) if line.value() > middle else (0.0, 0.0)
            line.label.anchors = [anchor, anchor]
            line.label.setAnchor(anchor)

    def _refresh_text(self) -> None:
        self._text_stale = False
        self._text_shown_at = time.monotonic()
        lat = self._latency.y
        in_run = lat.total - self._run_start + 1  # views of the latest run (some may have wrapped out)
        if len(lat) and in_run > 0:
            values = lat.values()[-min(in_run, len(lat)):]
            median = float(np.median(values))
            views = "view" if in_run == 1 else "views"
            # The device in the caption, the whole run (model, precision, device) in its tooltip: the
            # panel is narrow, and a third line of caption pushes the axis titles out of view.
            device = self._run_label.rsplit(" · ", 1)[-1] if self._run_label else ""
            run = f" on {html.escape(device)}" if device else ""
            self._latency_text.setText(
                f"Latency{run}: latest <b>{lat.latest():.1f} ms</b> · median <b>{median:.1f} ms</b>"
                f" · {in_run} {views}")
            self._latency_text.setToolTip(f"Figures of the latest run: {self._run_label}" if self._run_label else "")
        elif len(lat):
            self._latency_text.setText(f"Latency ({html.escape(self._run_label)})  no views yet")
            self._latency_text.setToolTip("")
        else:
            self._latency_text.setText("Latency  no views yet")
            self._latency_text.setToolTip("")
        mem = self._memory.y
        if len(mem):
            values = mem.values()
            self._memory_text.setText(
                f"Memory: latest <b>{mem.latest():.0f} MB</b> · median <b>{float(np.median(values)):.0f} MB</b>"
                f" · peak {float(values.max()):.0f} MB")
        else:
            self._memory_text.setText("Memory  no samples yet")

    def _sample_memory(self) -> None:
        # Imported here so merely building the widget never touches psutil.
        from kinetoscope.engine.memory import current_rss_mb

        self.add_memory(current_rss_mb())

    def _make_plot(self, y_label: str, x_label: str, name: str, *, whole_x: bool = False) -> pg.PlotWidget:
        plot = pg.PlotWidget(self, axisItems={"bottom": _CountAxis("bottom")} if whole_x else None)
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

    def _apply_palette(self) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        axis = blend(text, base, 0.35)
        dark = is_dark(pal)
        latency_colour = pal.color(QPalette.ColorRole.Highlight)
        memory_colour = QColor("#f0a04b") if dark else QColor("#c05a12")
        for plot in (self._latency_plot, self._memory_plot):
            plot.setBackground(base)
            item = plot.getPlotItem()
            for name in ("left", "bottom"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(axis))
                ax.setTextPen(pg.mkPen(text))
                ax.label.setDefaultTextColor(text)
        for series, colour in ((self._latency, latency_colour), (self._memory, memory_colour)):
            series.item.setPen(pg.mkPen(colour, width=2))
            series.item.setSymbolBrush(colour)
            series.item.setSymbolPen(pg.mkPen(base))
            series.item.setSymbolSize(6)


class _CountAxis(pg.AxisItem):
    """An axis of things counted (views): ticks on whole numbers only, never "1.5 views"."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803 - pyqtgraph's
        return [(spacing, [v for v in values if float(v).is_integer()])
                for spacing, values in super().tickValues(minVal, maxVal, size)]
