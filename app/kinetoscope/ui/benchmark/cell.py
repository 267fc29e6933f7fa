"""One cell of the benchmark grid: a model precision on a device, its figures and two plots.

Samples are appended to plain lists as they arrive; `refresh()` — called by the view's single
timer — redraws the plots and figures only when something changed.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QWidget

from kinetoscope.engine.bench.bench_results import CellKey, LoadFigures
from kinetoscope.engine.bench.bench_stats import LatencyStats
from kinetoscope.engine.inference.results import DeviceReport
from kinetoscope.ui.widgets.layouts import column, row

DEVICE_COLOURS = {"cpu": "#4a90d9", "npu": "#e0803a"}
_FIGURES = (("load", "Load"), ("first", "First inference"), ("median", "Median"), ("p90", "p90"),
            ("p99", "p99"), ("mean", "Mean ± sd"), ("rate", "Views / s"), ("memory", "Session memory"),
            ("process", "Process RSS"))
_TIPS = {"memory": "How much the process's resident memory grew as this cell's session loaded: the "
                   "session's own share",
         "process": "The whole process's resident memory (the app, every session and the other cells), "
                    "the highest sampled after each of this cell's runs: not this cell's own"}


def fmt_ms(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    if x >= 10_000:
        return f"{x / 1000:.1f} s"
    return f"{x:.0f} ms" if x >= 100 else f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


class BenchCellPanel(QFrame):
    """Live figures, latency over runs and the latency distribution of one cell."""

    def __init__(self, key: CellKey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Benchmark {key.device} {key.precision}")
        self.samples: list[float] = []
        self.first_ms: float | None = None
        self.load: LoadFigures | None = None
        self.load_kind = ""
        self.peak_rss = 0.0
        self.simulated = False  # the NPU cell runs on Qualcomm's x86 simulator
        self._stale = True

        self.title = QLabel(f"<b>{key.device.upper()}</b> · {key.precision}")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel(wordWrap=True, enabled=False)
        self.note.setVisible(False)
        figures = QGridLayout()
        figures.setHorizontalSpacing(10)
        figures.setVerticalSpacing(1)
        self.values: dict[str, QLabel] = {}
        for i, (name, caption) in enumerate(_FIGURES):
            label = QLabel(caption, enabled=False)
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(f"{caption} {key.name}")
            label.setToolTip(_TIPS.get(name, ""))
            value.setToolTip(_TIPS.get(name, ""))
            at_row, col = divmod(i, 2)
            figures.addWidget(label, at_row, col * 2)
            figures.addWidget(value, at_row, col * 2 + 1)
            self.values[name] = value
        figures.setColumnStretch(1, 1)
        figures.setColumnStretch(3, 1)

        colour = QColor(DEVICE_COLOURS.get(key.device, "#888888"))
        self.latency_plot = self._plot("Latency (ms)", "Run")
        self.curve = self.latency_plot.plot(pen=pg.mkPen(colour, width=1.5))
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.histogram_plot = self._plot("Runs", "Latency (ms)")
        fill = QColor(colour)
        fill.setAlpha(150)
        self.bars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brush=fill, pen=pg.mkPen(colour))
        self.histogram_plot.addItem(self.bars)
        self.median_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(colour.darker(150), width=2,
                                                                  style=Qt.PenStyle.DashLine))
        self.median_line.setVisible(False)
        self.histogram_plot.addItem(self.median_line)

        plots = row(self.latency_plot, self.histogram_plot)
        column(self.title, self.note, figures, (plots, 1), parent=self, margins=(8, 6, 8, 6), spacing=4)

    def _plot(self, left: str, bottom: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background=self.palette().color(QPalette.ColorRole.Base))
        plot.setLabel("left", left)
        plot.setLabel("bottom", bottom)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        plot.setMinimumSize(160, 120)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        return plot

    # -- data in ----------------------------------------------------------------------------
    def set_ready(self, report: DeviceReport, load: LoadFigures, load_kind: str) -> None:
        self.load, self.load_kind = load, load_kind
        self.simulated = report.simulated
        self.title.setText(f"<b>{report.label}</b> · {self.key.precision}")
        notes = []
        if report.simulated:
            notes.append("Qualcomm's x86 simulator of the NPU: correct results, not NPU speed.")
        if report.fallback_nodes or report.note:
            notes.append(report.summary() + ".")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        self._stale = True

    def add_sample(self, phase: str, ms: float, rss_mb: float) -> None:
        self.peak_rss = max(self.peak_rss, rss_mb)
        if phase == "first":
            self.first_ms = ms
        elif phase == "measured":
            self.samples.append(ms)
        self._stale = True

    def median(self) -> float:
        return float(np.median(self.samples)) if self.samples else float("nan")

    # -- painting ---------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self._stale:
            return
        self._stale = False
        self.values["load"].setText(self._load_text())
        self.values["first"].setText(fmt_ms(self.first_ms))
        growth = self.load.rss_growth_mb if self.load is not None else None
        self.values["memory"].setText(f"+{max(growth, 0.0):.0f} MB" if growth is not None else "–")
        self.values["process"].setText(f"{self.peak_rss:.0f} MB peak" if self.peak_rss else "–")
        if not self.samples:
            return
        stats = LatencyStats.of(self.samples)
        self.values["median"].setText(fmt_ms(stats.median))
        self.values["p90"].setText(fmt_ms(stats.p90))
        self.values["p99"].setText(fmt_ms(stats.p99))
        self.values["mean"].setText(f"{fmt_ms(stats.mean)} ± {fmt_ms(stats.sd)}")
        self.values["rate"].setText(f"{1000 / stats.mean:.2f}" if stats.mean > 0 else "–")
        y = np.asarray(self.samples)
        self.curve.setData(np.arange(1, y.size + 1), y, skipFiniteCheck=True)
        counts, edges = np.histogram(y, bins=min(20, max(3, int(np.sqrt(y.size)) + 1)))
        self.bars.setOpts(x0=edges[:-1], x1=edges[1:], y0=np.zeros(counts.size), y1=counts)
        self.median_line.setValue(stats.median)
        self.median_line.setVisible(True)

    def _load_text(self) -> str:
        if self.load is None:
            return "loading…"
        parts = []
        if self.load.cold_ms is not None:
            parts.append(f"{fmt_ms(self.load.cold_ms)} cold")
        if self.load.cached_ms is not None:
            parts.append(f"{fmt_ms(self.load.cached_ms)} cached")
        return " · ".join(parts) or "–"
