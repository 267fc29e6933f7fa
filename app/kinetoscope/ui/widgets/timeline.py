"""The clip's duration as a bar, with one segment per view coloured by the action it found.

Views of short clips overlap in time (five 1.07 s views in a 2.6 s clip), so segments are packed
into as many lanes as needed for none to hide another. A recipe with spatial crops (PyTorchVideo's
left/centre/right) runs each temporal view as several views over the same frames: those are grouped,
one lane a crop, stacked under their temporal view and named by their crop.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from kinetoscope.words import clock, span_text
from kinetoscope.ui.widgets._look import begin_painting, blend, draw_playhead, label_colour, show_tip, small_font, text_on
from kinetoscope.ui.widgets.focus_ring import DRAWS_OWN_FOCUS, RepaintsOnFocus, draw_focus_frame
from kinetoscope.ui.widgets.predictions import percent
from kinetoscope.ui.widgets.scan_paint import TimeScale, paint_axis

# A view is 16 frames at the models' 15 fps; spans of views still pending are estimated with it.
_MARGIN = 6
_LANE_GAP = 3
_PLAYHEAD_HALF = 4  # half the width repainted around the playhead: its line and its halo
_TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)


@dataclass
class _Segment:
    start_s: float
    end_s: float
    label: str = ""
    prob: float = 0.0
    known: bool = False  # False: still pending, span estimated
    index: int | None = None  # the label's class index: it picks the colour, as on the scan timeline
    crop: str = ""            # the spatial crop ("left", "centre", ...) when the recipe has several
    lane: int | None = None   # with crops: the crop's lane, fixed; None: packed


def _clock(t: float, step: float) -> str:
    if t >= 60:
        return clock(t)
    return f"{t:.1f} s" if step < 1 else f"{t:.0f} s"


class ViewTimeline(RepaintsOnFocus, QWidget):
    """Where each view lies in the clip and what it was recognised as.

    Click a segment, or move with Left/Right and press Enter, to emit `view_clicked(index)`.
    A playhead marks where the clip's preview is (`set_playhead`).
    """

    view_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._duration = 0.0
        self.not_yet = "pending"  # what a view without a result says ("cancelled" once its run stopped)
        self._segments: list[_Segment] = []
        self._lanes: list[int] = []
        self._lane_count = 1
        self._selected: int | None = None
        self._playhead: float | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("View timeline")
        self.setProperty(DRAWS_OWN_FOCUS, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(False)
        self._describe()

    # -- public -----------------------------------------------------------------------------

    def set_clip(self, duration_s: float, view_count: int, view_s: float = 0.0, crops: int = 1) -> None:
        """Start a clip: its length, how many views will be inferred (all pending), the seconds
        each covers (0: unknown yet, drawn as an even share of the clip) and how many spatial crops
        each temporal view has (views 0..crops-1 are the first temporal view's crops)."""
        self._duration = max(0.0, float(duration_s))
        self.not_yet = "pending"
        crops = max(1, int(crops))
        n = max(0, int(view_count))
        temporal = max(1, -(-n // crops))
        if view_s <= 0:
            view_s = self._duration / temporal
        length = min(view_s, self._duration) if self._duration > 0 else view_s
        last_start = max(0.0, self._duration - length)
        self._segments = []
        for i in range(n):
            t = i // crops
            start = last_start * t / (temporal - 1) if temporal > 1 else 0.0
            self._segments.append(_Segment(start, start + length, lane=i % crops if crops > 1 else None))
        self._selected = None
        self._relayout()

    def set_view_result(self, view_index: int, start_s: float, end_s: float, label: str, prob: float,
                        class_index: int | None = None, crop: str = "", crop_lane: int | None = None) -> None:
        """Show what a view found: its real span, its top label (with its class index, which picks
        the colour, when known), that label's probability and, with several spatial crops, which crop
        it was and that crop's lane."""
        while view_index >= len(self._segments):
            self._segments.append(_Segment(0.0, 0.0))
        self._segments[view_index] = _Segment(float(start_s), float(end_s), label, float(prob), True, class_index,
                                              crop, crop_lane)
        self._duration = max(self._duration, float(end_s))
        self._relayout()

    def select_view(self, view_index: int | None) -> None:
        """Outline a view (None: none); does not emit `view_clicked`."""
        if view_index is not None and not 0 <= view_index < len(self._segments):
            view_index = None
        if view_index != self._selected:
            self._selected = view_index
            self._describe()
            self.update()

    def clear(self) -> None:
        """No clip: an empty bar."""
        self._duration = 0.0
        self._segments = []
        self._selected = None
        self._relayout()

    def set_playhead(self, seconds: float | None) -> None:
        """Mark where the preview is in the clip (None: nowhere). Repaints only the strips the
        playhead leaves and enters, so following playback costs two narrow repaints a step."""
        old, self._playhead = self._playhead, seconds
        if old == seconds:
            return
        for t in (old, seconds):
            if t is not None:
                self.update(self.playhead_rect(t))

    def playhead(self) -> float | None:
        return self._playhead

    def playhead_rect(self, seconds: float) -> QRect:
        """The narrow strip the playhead at `seconds` is drawn in, in widget coordinates."""
        x = round(self._x(seconds))
        return QRect(x - _PLAYHEAD_HALF, 0, 2 * _PLAYHEAD_HALF + 1, self._track_bottom() + 3)

    def selected_view(self) -> int | None:
        return self._selected

    def view_count(self) -> int:
        return len(self._segments)

    def segment_rect(self, view_index: int) -> QRectF:
        """Where a view's segment is drawn, in widget coordinates."""
        seg = self._segments[view_index]
        x0, x1 = self._x(seg.start_s), self._x(seg.end_s)
        lane = self._lanes[view_index] if view_index < len(self._lanes) else 0
        top = _MARGIN + lane * (self._lane_height() + _LANE_GAP)
        return QRectF(x0, top, max(3.0, x1 - x0 - 1), self._lane_height())

    def view_at(self, pos: QPoint) -> int | None:
        """The view whose segment is under `pos`, or None."""
        point = QPointF(pos)
        for i in range(len(self._segments)):
            if self.segment_rect(i).contains(point):
                return i
        return None

    def sizeHint(self) -> QSize:
        return QSize(600, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self._height())

    # -- geometry ---------------------------------------------------------------------------

    def _lane_height(self) -> int:
        # Two lines: the label, and the probability under it, so narrow segments keep both.
        return self.fontMetrics().height() + self._small_metrics().height() + 10

    def _small_metrics(self) -> QFontMetrics:
        return QFontMetrics(small_font(self))

    def _axis_height(self) -> int:
        return self._small_metrics().height() + 8

    def _track_bottom(self) -> int:
        return _MARGIN + self._lane_count * self._lane_height() + (self._lane_count - 1) * _LANE_GAP

    def _height(self) -> int:
        lanes = self._lane_count * self._lane_height() + (self._lane_count - 1) * _LANE_GAP
        return 2 * _MARGIN + lanes + self._axis_height()

    def _x(self, t: float) -> float:
        width = self.width() - 2 * _MARGIN
        if self._duration <= 0:
            return float(_MARGIN)
        return _MARGIN + width * max(0.0, min(1.0, t / self._duration))

    def _relayout(self) -> None:
        if any(seg.lane is not None for seg in self._segments):
            # Spatial crops: a lane a crop, so a temporal view's crops stand in one column.
            self._lanes = [seg.lane or 0 for seg in self._segments]
            self._set_lane_count(max(self._lanes, default=0) + 1)
            return
        # Greedy interval packing, earliest start first: the fewest lanes for overlapping views.
        order = sorted(range(len(self._segments)), key=lambda i: (self._segments[i].start_s, i))
        lane_ends: list[float] = []
        lanes = [0] * len(self._segments)
        for i in order:
            seg = self._segments[i]
            for lane, end in enumerate(lane_ends):
                if seg.start_s >= end - 1e-6:
                    lanes[i] = lane
                    lane_ends[lane] = seg.end_s
                    break
            else:
                lanes[i] = len(lane_ends)
                lane_ends.append(seg.end_s)
        self._lanes = lanes
        self._set_lane_count(len(lane_ends))

    def _set_lane_count(self, count: int) -> None:
        count = max(1, count)
        if count != self._lane_count:
            self._lane_count = count
            self.updateGeometry()  # the vertical policy is Fixed: the height follows sizeHint
        self._describe()
        self.update()

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter, colours = begin_painting(self)
        text, window, highlight = colours
        pal = self.palette()
        muted = blend(text, window, 0.45)
        lanes_h = self._lane_count * self._lane_height() + (self._lane_count - 1) * _LANE_GAP
        track = QRectF(_MARGIN, _MARGIN, self.width() - 2 * _MARGIN, lanes_h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(blend(window, text, 0.07))
        painter.drawRoundedRect(track.adjusted(-2, -2, 2, 2), 5, 5)

        if not self._segments:
            painter.setPen(muted)
            painter.drawText(track, Qt.AlignmentFlag.AlignCenter, "No clip")
        fm = painter.fontMetrics()
        small = small_font(self)
        # The playhead repaints a strip a few pixels wide ~30 times a second: skip what lies outside it.
        dirty = QRectF(event.rect()).adjusted(-3, -3, 3, 3)
        for i, seg in enumerate(self._segments):
            rect = self.segment_rect(i)
            if not rect.intersects(dirty):
                continue
            if seg.known:
                fill = label_colour(seg.label, pal, seg.index)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(rect, 4, 4)
                ink = text_on(fill)
                caption, detail = seg.label, percent(seg.prob) + (f" · {seg.crop}" if seg.crop else "")
            else:
                pending = QPen(muted, 1, Qt.PenStyle.DashLine)
                painter.setPen(pending)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
                ink = muted
                caption, detail = f"View {i + 1}", self.not_yet + (f" · {seg.crop}" if seg.crop else "")
            inner = rect.adjusted(6, 4, -5, -4)
            if inner.width() > fm.horizontalAdvance("…") + 2:
                painter.setPen(ink)
                painter.setFont(self.font())
                top_line = QRectF(inner.left(), inner.top(), inner.width(), fm.height())
                painter.drawText(top_line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                                 fm.elidedText(caption, Qt.TextElideMode.ElideRight, int(inner.width())))
                painter.setFont(small)
                sfm = painter.fontMetrics()
                bottom_line = QRectF(inner.left(), top_line.bottom(), inner.width(), sfm.height())
                painter.drawText(bottom_line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                                 sfm.elidedText(detail, Qt.TextElideMode.ElideRight, int(inner.width())))
                painter.setFont(self.font())
        if self._selected is not None and self._selected < len(self._segments):
            rect = self.segment_rect(self._selected).adjusted(-1.5, -1.5, 1.5, 1.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(highlight if not self.hasFocus() else text, 2.5))
            painter.drawRoundedRect(rect, 5, 5)
            if self.hasFocus():
                painter.setPen(QPen(highlight, 1.5))
                painter.drawRoundedRect(rect.adjusted(-2.5, -2.5, 2.5, 2.5), 6, 6)
        if self._playhead is not None and self._duration > 0:
            draw_playhead(painter, self._x(self._playhead), track.top() - 2, track.bottom() + 2, colours)
        if self.hasFocus():  # around the bar, where Left/Right move the chosen view
            draw_focus_frame(painter, track.adjusted(-_MARGIN + 1, -_MARGIN + 1, _MARGIN - 1, _MARGIN - 1), self)
        painter.setFont(small)
        if self._duration > 0:
            width = self.width() - 2 * _MARGIN
            paint_axis(painter, TimeScale(_MARGIN, width, width / self._duration, 0, self._duration),
                       track.bottom() + 2, muted, self.width(), label=_clock, steps=_TICK_STEPS, widest="00:00 s",
                       gap=16)

    # -- interaction ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.view_at(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton else None
        if index is None:
            super().mousePressEvent(event)
            return
        self.select_view(index)
        self.view_clicked.emit(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        n = len(self._segments)
        key = event.key()
        if n and key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End):
            if key == Qt.Key.Key_Home:
                target = 0
            elif key == Qt.Key.Key_End:
                target = n - 1
            elif self._selected is None:
                target = 0 if key == Qt.Key.Key_Right else n - 1
            else:
                target = self._selected + (1 if key == Qt.Key.Key_Right else -1)
            self.select_view(max(0, min(n - 1, target)))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self._selected is not None:
            self.view_clicked.emit(self._selected)
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.view_at(event.pos())  # type: ignore[attr-defined]  # a QHelpEvent
            return show_tip(event, self._summary(index) if index is not None else None, self)  # type: ignore[arg-type]
        return super().event(event)

    def _summary(self, index: int) -> str:
        seg = self._segments[index]
        name = f"View {index + 1}" + (f", {seg.crop} crop" if seg.crop else "")
        if seg.known:
            return f"{name} · {span_text(seg.start_s, seg.end_s)} · {seg.label} {percent(seg.prob)}"
        return f"{name} · {self.not_yet}"

    def _describe(self) -> None:
        parts = [self._summary(i) for i in range(len(self._segments))]
        if self._selected is not None:
            parts.append(f"selected: view {self._selected + 1}")
        self.setAccessibleDescription("; ".join(parts) if parts else "No clip")
