"""Live plots of inference latency per view and of the process's memory.

Appending only writes into preallocated ring buffers and marks the plots stale; one timer
redraws them at ~10 Hz while the widget is visible, and the figures in text (costlier to lay
out than a curve is to redraw) change at most once a second.
"""

from __future__ import annotations

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


class LiveGraphs(QWidget):
    """Inference latency per view (ms) and resident memory over time (MB), with live figures.

    History survives across clips until `clear()` (or the Clear button).
    """

    def __init__(self, parent: QWidget | None = None, *, capacity: int = 10_000) -> None:
        super().__init__(parent)
        self.setAccessibleName("Live performance graphs")
        self._latency_plot = self._make_plot("Latency (ms)", "View")
        self._memory_plot = self._make_plot("Memory (MB)", "Time (s)")
        self._latency = _Series(self._latency_plot, capacity, _SYMBOLS_UP_TO)
        self._memory = _Series(self._memory_plot, capacity, 0)  # a 2 Hz sampled line
        self._memory_t0: float | None = None

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

        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._sampler = QTimer(self)
        self._sampler.timeout.connect(self._sample_memory)

        self._apply_palette()
        self._refresh_text()

    # -- public -----------------------------------------------------------------------------

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
            self.repaint_count += 1
        if self._text_stale and time.monotonic() - self._text_shown_at >= TEXT_INTERVAL_S:
            self._refresh_text()
        if not (self._plots_stale or self._text_stale):
            self._timer.stop()  # nothing new: stay idle until the next append

    def _refresh_text(self) -> None:
        self._text_stale = False
        self._text_shown_at = time.monotonic()
        lat = self._latency.y
        if len(lat):
            median = float(np.median(lat.values()))
            views = "view" if lat.total == 1 else "views"
            self._latency_text.setText(
                f"Latency: latest <b>{lat.latest():.1f} ms</b> · median <b>{median:.1f} ms</b>"
                f" · {lat.total} {views}")
        else:
            self._latency_text.setText("Latency  no views yet")
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

    def _make_plot(self, y_label: str, x_label: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(self)
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
        plot.setAccessibleName(y_label)
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
