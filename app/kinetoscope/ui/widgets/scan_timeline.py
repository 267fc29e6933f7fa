"""The whole clip as a strip of scanned windows, each coloured by its top action.

Rows, top to bottom: a legend of the most frequent actions, the windows (a "find action" query
marks its matches above them and dims the rest), the merged segments, and a time axis. An
hour-long file scanned at one window a second is 3,600 windows, so nothing here is per-window
objects: the numbers live in `WindowTrack` arrays, painting covers only the visible time range
and, when windows are narrower than a few pixels, draws one run of colour per stretch of pixel
columns that show the same action (at most one rectangle per column, however many windows).
Windows streaming in from a running scan are buffered and painted at most ten times a second.

Ctrl+wheel or +/- zoom (around the pointer, or the middle), 0 fits the clip, the wheel and the
scroll bar move along; hovering a window shows its time and top-5; a click emits `time_clicked`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from time import perf_counter

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QFontMetrics, QKeyEvent, QMouseEvent, QPainter,
                           QPaintEvent, QResizeEvent, QWheelEvent)
from PySide6.QtWidgets import (QAbstractScrollArea, QFrame, QSizePolicy, QToolButton, QWidget)

from kinetoscope.ui.widgets._look import begin_painting, blend, draw_playhead, label_colour, show_tip, small_font
from kinetoscope.ui.widgets.focus_ring import DRAWS_OWN_FOCUS, RepaintsOnFocus, draw_focus_frame
from kinetoscope.ui.widgets.predictions import percent
from kinetoscope.ui.widgets.scan_paint import (TimeScale, clock, paint_axis, paint_legend, paint_segments,
                                               paint_windows)
from kinetoscope.ui.widgets.scan_track import SegmentLike, SegmentTrack, WindowLike, WindowTrack

__all__ = ["ScanTimeline", "clock"]

REPAINT_INTERVAL_MS = 100   # windows arriving faster than this are painted together
MAX_PIXELS_PER_SECOND = 120.0  # the deepest zoom: a 1 s window 120 px wide
ZOOM_STEP = 1.5
_MARGIN = 8
_BAR_HEIGHT = 22             # the window bars' height at the least; they grow with the room given
_MAX_BAR_HEIGHT = 120
_MARK_HEIGHT = 4
_GAP = 4
_DIM = 0.72                  # how far a window that does not match a query fades into the track



class ScanTimeline(RepaintsOnFocus, QAbstractScrollArea):
    """Every scanned window of a clip along its duration; see the module's docstring."""

    time_clicked = Signal(float)
    matches_changed = Signal(int)     # windows matching the find-action query (after each change)
    span_marked = Signal(float, float)  # Shift+drag marked this part of the clip (start, end seconds)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Whole-clip timeline")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # The window's focus ring would ring only the part the viewport leaves (the scroll bar).
        self.setProperty(DRAWS_OWN_FOCUS, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there, so the zoom buttons beside it are too.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.horizontalScrollBar().valueChanged.connect(self.viewport().update)
        self.viewport().setMouseTracking(False)

        self.track = WindowTrack()
        self._segments = SegmentTrack()
        self._duration = 0.0
        self._zoom = 1.0
        self._position: float | None = None
        self._span: tuple[float, float] | None = None   # being marked with Shift+drag: (anchor, other end)
        self._placeholder = "No scan yet"
        self._note = ""  # said past the last window of a partial scan
        self._query: tuple[int | None, float] | None = None   # (class index, threshold)
        self._query_label = ""
        self._matched = np.zeros(0, bool)
        self._match_count = 0
        self._legend: list[tuple[int, int]] = []
        self._colours: dict[int, tuple[QColor, QColor]] = {}
        self.paint_ms: list[float] = []   # how long each paint took; the tests read it

        self._flush_timer = QTimer(self, singleShot=True, interval=REPAINT_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

        self.zoom_out_button = self._tool_button("−", "Zoom out (-)", lambda: self.zoom_by(1 / ZOOM_STEP))
        self.zoom_in_button = self._tool_button("+", "Zoom in (+, or Ctrl+wheel)", lambda: self.zoom_by(ZOOM_STEP))
        self.fit_button = self._tool_button("Fit", "Show the whole clip (0)", self.fit)
        # Each widget added goes to the left of those before it: add them right to left.
        for button in (self.fit_button, self.zoom_in_button, self.zoom_out_button):
            self.addScrollBarWidget(button, Qt.AlignmentFlag.AlignRight)
        self._update_zoom_buttons()
        self.setMaximumHeight(self._height_for(_MAX_BAR_HEIGHT))

    def _tool_button(self, text: str, tip: str, slot) -> QToolButton:  # noqa: ANN001
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys work on the timeline itself
        button.clicked.connect(slot)
        return button

    # -- feeding it ------------------------------------------------------------------------
    def clear(self, placeholder: str = "No scan yet") -> None:
        """Forget every window and segment; `placeholder` is drawn on the empty strip."""
        self.track.clear()
        self._segments = SegmentTrack()
        self._duration = 0.0
        self._position = None
        self._placeholder = placeholder
        self._note = ""
        self._zoom = 1.0
        self._flush_timer.stop()
        self._refresh()

    def set_clip(self, duration_s: float, labels: Sequence[str] = ()) -> None:
        """Start a (new) scan: the clip's length and, when known, every label of the model."""
        self.track.clear()
        self._segments = SegmentTrack()
        self._duration = max(0.0, float(duration_s))
        self._note = ""
        self.track.name_labels(labels)
        self._flush_timer.stop()
        self._refresh()

    def set_placeholder(self, text: str) -> None:
        """What the strip says while it has no window."""
        self._placeholder = text
        self._describe()
        self.viewport().update()

    def add_windows(self, windows: Iterable[WindowLike]) -> None:
        """Windows of a running scan, in order; painted with the next coalesced repaint."""
        if self.track.extend(windows) and not self._flush_timer.isActive():
            self._flush_timer.start()

    def set_windows(self, windows: Iterable[WindowLike], segments: Sequence[SegmentLike] = (),
                    duration_s: float | None = None, labels: Sequence[str] = (), *, note: str = "") -> None:
        """Show a finished scan at once; `note` is drawn where its windows end (a partial scan's)."""
        self.track.clear()
        self._note = note
        self.track.name_labels(labels)
        self.track.extend(windows)
        self._segments = SegmentTrack(segments)
        if duration_s is not None:
            self._duration = max(0.0, float(duration_s))
        self._flush_timer.stop()
        self._refresh()

    def set_segments(self, segments: Sequence[SegmentLike]) -> None:
        self._segments = SegmentTrack(segments)
        self._refresh()

    def set_position(self, seconds: float | None) -> None:
        """Draw the playhead at `seconds` (None: none)."""
        before = self._position
        self._position = seconds
        # A playing clip moves it every frame: repaint only when it moves by a pixel or more.
        if before is None or seconds is None or abs(self.x_of(seconds) - self.x_of(before)) >= 1:
            self.viewport().update()

    def position(self) -> float | None:
        return self._position

    def flush(self) -> None:
        """Paint buffered windows now (tests, and the end of a scan)."""
        if self._flush_timer.isActive():
            self._flush_timer.stop()
            self._flush()

    # -- find action -----------------------------------------------------------------------
    def find(self, label: str | None, threshold: float) -> int:
        """Highlight windows with `label` among their top-5 at probability >= `threshold`, dimming
        the others; returns how many match. An empty or None label ends the search."""
        if not label:
            self._query, self._query_label = None, ""
        else:
            self._query = (self.track.class_index(label), float(threshold))
            self._query_label = label
        self._update_matches()
        self.viewport().update()
        return self._match_count

    def match_count(self) -> int:
        return self._match_count

    def matched_windows(self) -> np.ndarray:
        """Indices of the windows the query matches (empty without a query)."""
        return np.flatnonzero(self._matched)

    def _update_matches(self) -> None:
        if self._query is None:
            self._matched = np.zeros(len(self.track), bool)
            count = 0
        else:
            if self._query[0] is None:  # a label no window had when asked: look again
                self._query = (self.track.class_index(self._query_label), self._query[1])
            self._matched = self.track.matches(*self._query)
            count = int(self._matched.sum())
        changed = count != self._match_count
        self._match_count = count
        if changed or self._query is not None:
            self.matches_changed.emit(count)

    # -- zoom and scroll -------------------------------------------------------------------
    def zoom(self) -> float:
        """How many times the clip is magnified over fitting it in the strip (1: it fits)."""
        return self._zoom

    def max_zoom(self) -> float:
        fit = self._fit_pps()
        return max(1.0, MAX_PIXELS_PER_SECOND / fit) if fit > 0 else 1.0

    def set_zoom(self, zoom: float, anchor_x: float | None = None) -> None:
        """Magnify to `zoom`, keeping the time under viewport x `anchor_x` (default: the middle) put."""
        zoom = min(max(1.0, zoom), self.max_zoom())
        if anchor_x is None:
            anchor_x = self.viewport().width() / 2
        anchor_x = min(max(float(anchor_x), _MARGIN), _MARGIN + self._track_width())
        t = self.time_at(anchor_x)
        self._zoom = zoom
        self._update_scroll_range()
        self.horizontalScrollBar().setValue(round(t * self._pps() - (anchor_x - _MARGIN)))
        self._update_zoom_buttons()
        self.viewport().update()

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        self.set_zoom(self._zoom * factor, anchor_x)

    def fit(self) -> None:
        self.set_zoom(1.0)

    def visible_range(self) -> tuple[float, float]:
        """The first and last second of the clip the strip shows."""
        return self.scale().visible_range()

    def scale(self) -> TimeScale:
        """How the clip's time maps to viewport x at the current zoom and scroll."""
        return TimeScale(_MARGIN, self._track_width(), self._pps(), self.horizontalScrollBar().value(), self._duration)

    def scroll_to(self, seconds: float) -> None:
        """Scroll so `seconds` is at the left edge (as far as the scroll range allows)."""
        self.horizontalScrollBar().setValue(round(seconds * self._pps()))

    def _track_width(self) -> int:
        return max(1, self.viewport().width() - 2 * _MARGIN)

    def _fit_pps(self) -> float:
        return self._track_width() / self._duration if self._duration > 0 else 0.0

    def _pps(self) -> float:
        return self._fit_pps() * self._zoom

    def _update_scroll_range(self) -> None:
        bar = self.horizontalScrollBar()
        content = self._duration * self._pps()
        bar.setRange(0, max(0, int(np.ceil(content - self._track_width()))))
        bar.setPageStep(self._track_width())
        bar.setSingleStep(max(1, self._track_width() // 10))

    def _update_zoom_buttons(self) -> None:
        self.zoom_out_button.setEnabled(self._zoom > 1.0)
        self.fit_button.setEnabled(self._zoom > 1.0)
        self.zoom_in_button.setEnabled(self._zoom < self.max_zoom() - 1e-9)

    # -- geometry --------------------------------------------------------------------------
    def x_of(self, seconds: float) -> float:
        """Viewport x of a time in the clip."""
        return self.scale().x_of(seconds)

    def time_at(self, x: float) -> float:
        """The time in the clip under viewport x (clamped to the clip)."""
        pps = self._pps()
        if pps <= 0:
            return 0.0
        t = (x - _MARGIN + self.horizontalScrollBar().value()) / pps
        return min(max(0.0, t), self._duration)

    def window_at(self, x: float) -> int | None:
        """The window drawn at viewport x (the later of two overlapping ones), or None."""
        if not len(self.track) or not _MARGIN <= x < _MARGIN + self._track_width():
            return None
        t = (x - _MARGIN + self.horizontalScrollBar().value()) / max(self._pps(), 1e-12)
        i = int(self.track.at_times(np.array([t]))[0])
        return i if i >= 0 else None

    def bars_rect(self) -> QRectF:
        """Where the window bars are drawn, in viewport coordinates."""
        top = self._legend_height() + _GAP + _MARK_HEIGHT + 1
        spare = self.viewport().height() - self._viewport_height(_BAR_HEIGHT)
        return QRectF(_MARGIN, top, self._track_width(), _BAR_HEIGHT + min(max(0, spare), _MAX_BAR_HEIGHT - _BAR_HEIGHT))

    def segments_rect(self) -> QRectF:
        bars = self.bars_rect()
        return QRectF(_MARGIN, bars.bottom() + _GAP, self._track_width(), self.fontMetrics().height() + 6)

    def _legend_height(self) -> int:
        return self.fontMetrics().height() + 4

    def _viewport_height(self, bar_height: int) -> int:
        """The viewport's height with window bars `bar_height` tall."""
        fm = self.fontMetrics()
        rows = self._legend_height() + _GAP + _MARK_HEIGHT + 1 + bar_height + _GAP + fm.height() + 6
        return rows + 4 + QFontMetrics(small_font(self)).height() + 6

    def _height_for(self, bar_height: int) -> int:
        return self._viewport_height(bar_height) + self.horizontalScrollBar().sizeHint().height()

    def sizeHint(self) -> QSize:
        return QSize(800, self._height_for(_BAR_HEIGHT + 30))

    def minimumSizeHint(self) -> QSize:
        return QSize(240, self._height_for(_BAR_HEIGHT))

    # -- internal refresh ------------------------------------------------------------------
    def _flush(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self._duration = max(self._duration, self.track.end_s())
        self._legend = self.track.label_counts()
        self._update_matches()
        self._update_scroll_range()
        self._update_zoom_buttons()
        self._describe()
        self.viewport().update()

    def _colour(self, class_index: int) -> tuple[QColor, QColor]:
        """A label's fill, and the same faded into the track (for windows a query does not match)."""
        pair = self._colours.get(class_index)
        if pair is None:
            pal = self.palette()
            fill = label_colour(self.track.label(class_index), pal, class_index)
            pair = self._colours[class_index] = (fill, blend(fill, self._track_colour(), _DIM))
        return pair

    def _track_colour(self) -> QColor:
        pal = self.palette()
        return blend(pal.color(pal.ColorRole.Window), pal.color(pal.ColorRole.WindowText), 0.07)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._colours.clear()  # light/dark switched: the cached fills are the old scheme's
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        t0 = self.visible_range()[0]
        super().resizeEvent(event)
        self._update_scroll_range()
        self.scroll_to(t0)
        self._update_zoom_buttons()

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        started = perf_counter()
        painter, colours = begin_painting(self.viewport())
        text, window, highlight = colours
        muted = blend(text, window, 0.45)
        bars, segs = self.bars_rect(), self.segments_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._track_colour())
        painter.drawRoundedRect(bars.adjusted(-3, -_MARK_HEIGHT - 3, 3, 3), 5, 5)
        painter.drawRoundedRect(segs.adjusted(-3, -1, 3, 1), 5, 5)
        if not len(self.track):
            painter.setPen(muted)
            painter.drawText(bars.united(segs), Qt.AlignmentFlag.AlignCenter, self._placeholder)
        else:
            scale = self.scale()
            matched = self._matched if len(self._matched) == len(self.track) else np.zeros(len(self.track), bool)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # crisp 1-px columns
            paint_windows(painter, self.track, scale, bars, matched if self._query is not None else None,
                          self._colour, highlight, _MARK_HEIGHT)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_segments(painter, self._segments, self.track, scale, segs, self.palette())
            paint_legend(painter, self._legend, self.track, QRectF(_MARGIN, 2, self._track_width(),
                                                                    self.fontMetrics().height()),
                         self._colour, text, muted)
            if self._note:  # a partial scan says so on the stretch it did not reach
                left = self.x_of(float(self.track.ends[-1])) + 6
                rest = QRectF(left, bars.top(), bars.right() - left, segs.bottom() - bars.top())
                painter.setPen(muted)
                painter.drawText(rest, Qt.AlignmentFlag.AlignVCenter, self.fontMetrics().elidedText(
                    self._note, Qt.TextElideMode.ElideRight, int(max(0.0, rest.width()))))
        if self._span is not None:
            left, right = sorted(self.x_of(t) for t in self._span)
            painter.setPen(Qt.PenStyle.NoPen)
            band = QColor(highlight)
            band.setAlpha(90)
            painter.setBrush(band)
            painter.drawRect(QRectF(left, bars.top() - _MARK_HEIGHT, max(1.0, right - left),
                                    segs.bottom() - bars.top() + _MARK_HEIGHT))
        if self._position is not None and self._duration > 0:
            x = self.x_of(self._position)
            if _MARGIN <= x <= _MARGIN + self._track_width():
                draw_playhead(painter, x, bars.top() - _MARK_HEIGHT - 2, segs.bottom() + 1, colours)
        painter.setFont(small_font(self))
        paint_axis(painter, self.scale(), segs.bottom() + 4, muted, self.viewport().width())
        if self.hasFocus():  # around the rows the keys act on
            draw_focus_frame(painter, bars.united(segs).adjusted(-5, -_MARK_HEIGHT - 5, 5, 3), self)
        painter.end()
        self.paint_ms.append((perf_counter() - started) * 1000)
        del self.paint_ms[:-200]

    # -- interaction -----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._duration > 0:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                t = self.time_at(event.position().x())
                self._span = (t, t)
                self.viewport().update()
                return
            self._click(event.position().x())
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._duration > 0:
            if self._span is not None:
                self._span = (self._span[0], self.time_at(event.position().x()))
                self.viewport().update()
                return
            self._click(event.position().x())  # dragging scrubs
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._duration > 0:
            event.accept()  # the press was ours
            if self._span is not None:
                start, end = sorted(self._span)
                self._span = None
                self.viewport().update()
                if end > start:
                    self.span_marked.emit(start, end)
            return
        super().mouseReleaseEvent(event)

    def _click(self, x: float) -> None:
        t = self.time_at(x)
        self.set_position(t)
        self.time_clicked.emit(t)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta.y():
                self.zoom_by(ZOOM_STEP ** (delta.y() / 120), event.position().x())
            event.accept()
            return
        steps = delta.x() or delta.y()
        bar = self.horizontalScrollBar()
        if steps and bar.maximum() > 0:
            bar.setValue(bar.value() - round(steps / 120 * bar.singleStep()))
            event.accept()
            return
        event.ignore()  # nothing to scroll: let the page scroll

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, bar = event.key(), self.horizontalScrollBar()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            bar.setValue(bar.value() + (1 if key == Qt.Key.Key_Right else -1) * bar.singleStep())
        elif key == Qt.Key.Key_Home:
            bar.setValue(0)
        elif key == Qt.Key.Key_End:
            bar.setValue(bar.maximum())
        else:
            super().keyPressEvent(event)

    def _focus_surface(self) -> QWidget:
        return self.viewport()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]  # a QHelpEvent
            return show_tip(event, self.tooltip_at(pos.x(), pos.y()), self.viewport())  # type: ignore[arg-type]
        return super().viewportEvent(event)

    def tooltip_at(self, x: float, y: float) -> str:
        """What hovering at viewport (x, y) shows: a window's time and top-5, or a segment."""
        if y >= self.segments_rect().top() - 1:
            i = self._segments.at(self.time_at(x)) if self._segments else None
            if i is None or y > self.segments_rect().bottom():
                return ""
            s = self._segments
            return (f"{s.labels[i]} from {clock(float(s.starts[i]), fraction=True)} to "
                    f"{clock(float(s.ends[i]), fraction=True)} (mean {percent(s.probs[i])})")
        index = self.window_at(x)
        return "" if index is None else self.window_tooltip(index)

    def window_tooltip(self, index: int) -> str:
        row = self.track.row(index)
        lines = [f"Window {index + 1}: {clock(row.start_s, fraction=True)} – {clock(row.end_s, fraction=True)}"]
        lines += [f"{k}. {p.label} {percent(p.prob)}" for k, p in enumerate(row.top5, 1)]
        return "\n".join(lines)

    def _describe(self) -> None:
        if not len(self.track):
            self.setAccessibleDescription(self._placeholder)
            return
        top = ", ".join(f"{self.track.label(c)} in {n}" for c, n in self._legend[:3])
        self.setAccessibleDescription(f"{len(self.track)} windows over {clock(self._duration)}; "
                                      f"top action {top}; {len(self._segments)} segments"
                                      + (f"; {self._note}" if self._note else ""))
