"""Live plots of inference latency per view and of the process's memory.

Appending only writes into preallocated ring buffers and marks the plots stale; one timer
redraws them at ~10 Hz while the widget is visible, and the figures in text (costlier to lay
out than a curve is to redraw) change at most once a second.

The plots themselves (`live_plots`, pyqtgraph) arrive later: pyqtgraph takes 0.5–1 s to import
on a two-core laptop, so it is imported on a thread once the first view's latency comes in (the
model then runs the next view, which leaves Python free) or when the widget has been on screen for
`IMPORT_WHEN_IDLE_MS` without one, so that neither the window nor the first result waits for it.
Until then a blank pane of the plots' size holds their place, and whatever is recorded is drawn
once they are built.
"""

from __future__ import annotations

import html
import threading
import time

import numpy as np
import numpy.ma  # noqa: F401  np.median imports it lazily on first use (~30 ms): not mid-run
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolButton, QWidget

from kinetoscope.ui.widgets.ring_buffer import RingBuffer


REPAINT_INTERVAL_MS = 100
TEXT_INTERVAL_S = 1.0
# Symbols make a handful of points readable but cost per point; above this, a line is enough.
_SYMBOLS_UP_TO = 200


# How often a widget waiting for the plots' module looks whether the import has finished.
_IMPORT_POLL_MS = 25
# Shown this long without a view (nothing opened yet), the widget imports pyqtgraph anyway.
IMPORT_WHEN_IDLE_MS = 2500
_import_thread: threading.Thread | None = None


def preload_plots() -> None:
    """Start importing the plots' module (and pyqtgraph) on a thread, once per process.

    It creates no Qt objects, only Python modules; a widget that needs the plots before the
    thread is done imports it itself (Python's import lock makes it wait for the thread).
    """
    global _import_thread
    if _import_thread is None:
        _import_thread = threading.Thread(target=_import_plots, name="pyqtgraph import", daemon=True)
        _import_thread.start()


def _import_plots() -> None:
    try:
        from kinetoscope.ui.widgets import live_plots  # noqa: F401  (a plain import: PyInstaller sees it)
    except Exception:  # noqa: BLE001 - the GUI thread imports it again and reports what failed
        pass


def _plots_imported() -> bool:
    return _import_thread is not None and not _import_thread.is_alive()


class _Series:
    """One curve's history: x and y ring buffers."""

    def __init__(self, capacity: int) -> None:
        self.x = RingBuffer(capacity)
        self.y = RingBuffer(capacity)

    def append(self, x: float, y: float) -> None:
        self.x.append(x)
        self.y.append(y)

    def clear(self) -> None:
        self.x.clear()
        self.y.clear()


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
        self._latency = _Series(capacity)
        self._memory = _Series(capacity)
        self._memory_t0: float | None = None
        # Runs of one model on one device: the label, and the view number their first view gets.
        # Figures cover the latest run only (a median across an NPU and a CPU run means nothing);
        # a marker on the latency plot (x, what changed) shows where each began.
        self._run_label = ""
        self._run_start = 1
        self._markers: list[tuple[float, str]] = []
        # Built by `plots()`; until then, blank panes of their minimum size keep the layout still.
        self._plots = None
        self._placeholders = (_PlotPlace(self), _PlotPlace(self))
        self._wait_for_import = QTimer(self, interval=_IMPORT_POLL_MS)
        self._wait_for_import.timeout.connect(self._build_when_imported)
        self._idle_import = QTimer(self, singleShot=True, interval=IMPORT_WHEN_IDLE_MS)
        self._idle_import.timeout.connect(self._start_import)

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
        grid.addWidget(self._placeholders[0], 1, 0)
        grid.addWidget(self._placeholders[1], 1, 1, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self._grid = grid

        self._plots_stale = False
        self._text_stale = True
        self._text_shown_at = -TEXT_INTERVAL_S
        self.repaint_count = 0  # plot refreshes done, for benchmarks and tests

        self._timer = QTimer(self, interval=REPAINT_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._sampler = QTimer(self)
        self._sampler.timeout.connect(self._sample_memory)

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
            marker = (self._run_start - 0.5, _what_changed(previous, label))
            self._markers.append(marker)
            if self._plots is not None:
                self._plots.add_marker(*marker, self.palette())
        self._text_stale = True
        self._stale()

    def run_markers(self) -> list[tuple[float, str]]:
        """Where each run after the first began on the latency plot's x axis, and what changed."""
        return list(self._markers)

    def plots(self):  # -> live_plots.LivePlots, whose module is imported only here
        """The pyqtgraph plots, built now (importing pyqtgraph on this thread) if they are not yet."""
        if self._plots is None:
            self._wait_for_import.stop()
            self._idle_import.stop()
            from kinetoscope.ui.widgets.live_plots import LivePlots

            plots = LivePlots(self, _SYMBOLS_UP_TO)
            for placeholder, plot in zip(self._placeholders, plots.plots()):
                self._grid.replaceWidget(placeholder, plot)
                placeholder.hide()
                placeholder.deleteLater()
                plot.setVisible(True)
            plots.apply_palette(self.palette())
            for x, label in self._markers:
                plots.add_marker(x, label, self.palette())
            self._plots = plots
            self._stale()
        return self._plots

    def plots_built(self) -> bool:
        """Whether the plots exist yet (they are built after the widget is first shown)."""
        return self._plots is not None

    def add_latency(self, ms: float) -> None:
        """Record one view's inference time; numbered after every view recorded so far."""
        self._latency.append(self._latency.y.total + 1, ms)
        self._start_import()
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
        self._markers.clear()
        self._run_label, self._run_start = "", 1
        if self._plots is not None:
            self._plots.clear()
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
        if self._plots is None and not self._wait_for_import.isActive() and not self._idle_import.isActive():
            self._idle_import.start()
        if self._plots_stale or self._text_stale:
            self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden plots are not drawn; whatever arrives meanwhile is drawn on the next show.
        self._timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self._plots is not None and event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._plots.apply_palette(self.palette())

    # -- internals --------------------------------------------------------------------------

    def _stale(self) -> None:
        self._plots_stale = True
        self._text_stale = True
        if not self._timer.isActive() and self.isVisible():
            self._timer.start()

    def _start_import(self) -> None:
        if self._plots is None and not self._wait_for_import.isActive():
            self._idle_import.stop()
            preload_plots()
            self._wait_for_import.start()

    def _build_when_imported(self) -> None:
        if _plots_imported():
            self.plots()  # stops the polling

    def _tick(self) -> None:
        if self._plots_stale and self._plots is not None:
            self._plots_stale = False
            self._plots.latency.show(self._latency.x, self._latency.y)
            self._plots.memory.show(self._memory.x, self._memory.y)
            self._plots.place_marker_labels((self._latency.y.total + 1) / 2)
            self.repaint_count += 1
        if self._text_stale and time.monotonic() - self._text_shown_at >= TEXT_INTERVAL_S:
            self._refresh_text()
        if not ((self._plots_stale and self._plots is not None) or self._text_stale):
            self._timer.stop()  # nothing new: stay idle until the next append

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


class _PlotPlace(QWidget):
    """A blank pane in the window's base colour that sizes itself as a plot will (the size hints of
    pyqtgraph's PlotWidget, a plot's minimum), so the layout does not move when the plot replaces it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setMinimumSize(150, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)

    def sizeHint(self) -> QSize:
        return QSize(100, 30)

    def minimumSizeHint(self) -> QSize:
        return QSize(68, 68)
