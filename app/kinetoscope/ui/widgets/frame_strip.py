"""The frames each view fed the model: one row of thumbnails per view, with its time span.

The strip paints itself (no child widget per thumbnail), so filling a view only converts its 16
crops and repaints that row; each row's thumbnails are scaled once into a single pixmap and
redrawn from it until the size or the screen's pixel ratio changes.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor, QFont, QFontMetrics, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent,
    QPen, QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from kinetoscope.words import span_text
from kinetoscope.ui.widgets._look import begin_painting, blend, rgb_to_qimage, show_tip, small_font
from kinetoscope.ui.widgets.focus_ring import DRAWS_OWN_FOCUS, RepaintsOnFocus, draw_focus_frame

_MARGIN = 4
_GAP = 2          # between thumbnails
_ROW_PAD = 4      # inside a row, around its thumbnails
_ROW_SPACING = 4
_MIN_THUMB = 28
_MAX_THUMB = 64


@dataclass
class _View:
    frames: list[QImage] = field(default_factory=list)
    times_s: tuple[float, ...] = ()
    given_span: tuple[float, float] | None = None  # the view's own span, when its maker says it
    strip: QPixmap | None = None               # the row's thumbnails, scaled, side by side
    strip_key: tuple[int, float] | None = None  # (thumb size, pixel ratio) the strip was made for

    def span(self) -> tuple[float, float] | None:
        if self.given_span is not None:
            return self.given_span
        if not self.times_s:
            return None
        times = self.times_s
        step = statistics.median(b - a for a, b in zip(times, times[1:])) if len(times) > 1 else 0.0
        return times[0], times[-1] + step



class FrameStrip(RepaintsOnFocus, QWidget):
    """Thumbnails of the frames each view fed the model, a row per view.

    Views not read yet show empty placeholders; the view being inferred is outlined and the
    selected one tinted. Clicking a row (or Enter on the keyboard-selected row) emits
    `view_clicked(view_index)`; clicking a thumbnail then also emits `frame_clicked(view_index,
    seconds)`, with the time that frame was taken from.
    """

    view_clicked = Signal(int)
    frame_clicked = Signal(int, float)

    def __init__(self, parent: QWidget | None = None, *, frames_per_view: int = 0) -> None:
        super().__init__(parent)
        self.not_yet = "not read yet"  # what a view without frames says ("cancelled" once its run stopped)
        self._columns = frames_per_view
        self._views: list[_View] = []
        self._active: int | None = None
        self._selected: int | None = None
        self._marked: frozenset[int] = frozenset()  # frame positions a second pathway also takes
        self._marked_what = ""
        self._caption_cache: tuple[str, int] | None = None  # (font key, width): painting asks often
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Frames the model saw")
        self.setProperty(DRAWS_OWN_FOCUS, True)
        sp = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)
        self._update_description()

    # -- public -----------------------------------------------------------------------------

    def clear(self) -> None:
        """Remove every view."""
        self._views = []
        self._active = None
        self._selected = None
        self._relayout()

    def set_view_count(self, n: int, frames_per_view: int = 0) -> None:
        """Show `n` views, all as placeholders (frames already set for views kept stay); a
        `frames_per_view` other than 0 sets how many frames a row holds."""
        n = max(0, int(n))
        self.not_yet = "not read yet"
        if frames_per_view:
            self._columns = int(frames_per_view)
        self._views = self._views[:n] + [_View() for _ in range(n - len(self._views))]
        if self._active is not None and self._active >= n:
            self._active = None
        if self._selected is not None and self._selected >= n:
            self._selected = None
        self._relayout()

    def set_view_frames(self, view_index: int, crops: np.ndarray, times_s: Sequence[float],
                        span: tuple[float, float] | None = None) -> None:
        """Show the uint8 RGB crops [T, H, W, 3] of one view, shown at `times_s` seconds; `span` is
        the stretch of clip the view covers (else from the frames' times)."""
        crops = np.asarray(crops)
        if crops.ndim != 4 or crops.shape[-1] != 3 or crops.dtype != np.uint8:
            raise ValueError(f"expected uint8 RGB crops [T, H, W, 3], got {crops.dtype} {crops.shape}")
        if len(times_s) != len(crops):
            raise ValueError(f"{len(crops)} crops but {len(times_s)} times")
        if view_index >= len(self._views):
            self.set_view_count(view_index + 1)
        view = self._views[view_index]
        view.frames = [rgb_to_qimage(c) for c in crops]
        view.times_s = tuple(float(t) for t in times_s)
        view.given_span = span
        view.strip = None
        if len(crops) > self._columns:
            self._columns = len(crops)
            self._relayout()
        else:
            self.update(self._row_rect(view_index))
        self._update_description()

    def set_marked_frames(self, positions: Sequence[int], what: str = "slow pathway") -> None:
        """Mark the frames at `positions` of every row (a SlowFast model's slow pathway takes those
        of the fast pathway's frames shown); empty: no marks."""
        marked = frozenset(int(p) for p in positions)
        if marked == self._marked and what == self._marked_what:
            return
        self._marked, self._marked_what = marked, what
        self.update()

    def marked_frames(self) -> tuple[int, ...]:
        return tuple(sorted(self._marked))

    def set_active_view(self, view_index: int | None) -> None:
        """Outline the view being inferred now (None: no view is)."""
        if view_index == self._active:
            return
        old, self._active = self._active, self._valid(view_index)
        self._update_rows(old, self._active)

    def set_selected_view(self, view_index: int | None) -> None:
        """Tint the view whose results are shown elsewhere (None: the whole clip is)."""
        if view_index == self._selected:
            return
        old, self._selected = self._selected, self._valid(view_index)
        self._update_rows(old, self._selected)

    def view_count(self) -> int:
        return len(self._views)

    def active_view(self) -> int | None:
        return self._active

    def selected_view(self) -> int | None:
        return self._selected

    def thumbnail_count(self, view_index: int) -> int:
        """How many frames of a view are shown (0 for a placeholder)."""
        return len(self._views[view_index].frames)

    def thumbnail_rect(self, view_index: int, frame_index: int) -> QRect:
        """Where a thumbnail is drawn, in widget coordinates."""
        s = self._thumb_size()
        row = self._row_rect(view_index)
        x = row.left() + _ROW_PAD + self._caption_width() + frame_index * (s + _GAP)
        return QRect(x, row.top() + _ROW_PAD, s, s)

    def hit(self, pos: QPoint) -> tuple[int, int | None] | None:
        """(view, frame or None for the caption) under `pos`, or None."""
        for v in range(len(self._views)):
            if self._row_rect(v).contains(pos):
                for f in range(self._columns):
                    if self.thumbnail_rect(v, f).contains(pos):
                        return v, f
                return v, None
        return None

    # -- geometry ---------------------------------------------------------------------------

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._height_for(self._thumb_size(width))

    def sizeHint(self) -> QSize:
        return QSize(900, self._height_for(52))

    def minimumSizeHint(self) -> QSize:
        width = 2 * _MARGIN + 2 * _ROW_PAD + self._caption_width() + self._columns * (_MIN_THUMB + _GAP)
        return QSize(width, self._height_for(_MIN_THUMB))

    def _caption_width(self) -> int:
        key = self.font().key()
        if self._caption_cache is None or self._caption_cache[0] != key:
            fm = self.fontMetrics()
            width = max(fm.horizontalAdvance("View 00"), self._small_metrics_width("00.00–00.00 s")) + 12
            self._caption_cache = (key, width)
        return self._caption_cache[1]

    def _small_metrics_width(self, text: str) -> int:
        return QFontMetrics(small_font(self)).horizontalAdvance(text)

    def _thumb_size(self, width: int | None = None) -> int:
        width = self.width() if width is None else width
        room = width - 2 * _MARGIN - 2 * _ROW_PAD - self._caption_width() - (self._columns - 1) * _GAP
        return max(_MIN_THUMB, min(_MAX_THUMB, room // max(1, self._columns)))

    def _height_for(self, thumb: int) -> int:
        n = max(1, len(self._views))
        return 2 * _MARGIN + n * (thumb + 2 * _ROW_PAD) + (n - 1) * _ROW_SPACING

    def _row_rect(self, view_index: int) -> QRect:
        s = self._thumb_size()
        h = s + 2 * _ROW_PAD
        width = 2 * _ROW_PAD + self._caption_width() + self._columns * (s + _GAP) - _GAP
        return QRect(_MARGIN, _MARGIN + view_index * (h + _ROW_SPACING), width, h)

    def _relayout(self) -> None:
        self.updateGeometry()
        self._update_description()
        self.update()

    def _update_rows(self, *indices: int | None) -> None:
        for i in indices:
            if i is not None and i < len(self._views):
                self.update(self._row_rect(i).adjusted(-2, -2, 2, 2))
        self._update_description()

    def _valid(self, view_index: int | None) -> int | None:
        if view_index is None or not 0 <= view_index < len(self._views):
            return None
        return int(view_index)

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter, (text, base, highlight) = begin_painting(self)
        placeholder = blend(base, text, 0.10)
        s = self._thumb_size()
        dpr = self.devicePixelRatioF()
        bold = QFont(self.font())
        bold.setBold(True)
        small = small_font(self)
        for v, view in enumerate(self._views):
            row = self._row_rect(v)
            if not row.intersects(event.rect().adjusted(-2, -2, 2, 2)):
                continue
            rowf = QRectF(row).adjusted(0.5, 0.5, -0.5, -0.5)
            if v == self._selected:
                tint = QColor(highlight)
                tint.setAlphaF(0.22)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(tint)
                painter.drawRoundedRect(rowf, 5, 5)
            if v == self._active:
                painter.setPen(QPen(highlight, 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rowf.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
            if v == self._selected and self.hasFocus():
                painter.setPen(QPen(text, 1, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rowf, 5, 5)

            # Caption: "View 2" over its time span (or its state).
            cap = QRect(row.left() + _ROW_PAD + 2, row.top() + _ROW_PAD, self._caption_width() - 8, s)
            painter.setPen(text)
            painter.setFont(bold)
            fm = painter.fontMetrics()
            name_h = fm.height()
            painter.drawText(QRect(cap.left(), cap.top(), cap.width(), name_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"View {v + 1}")
            painter.setFont(small)
            painter.setPen(blend(text, base, 0.35))
            span = view.span()
            if v == self._active and not view.frames:
                detail = "reading…"
            elif v == self._active:
                detail = "inferring…"
            elif span is None:
                detail = self.not_yet
            else:
                detail = span_text(*span)
            painter.drawText(QRect(cap.left(), cap.top() + name_h, cap.width(), cap.height() - name_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, detail)
            if span is not None and v == self._active:
                painter.drawText(QRect(cap.left(), cap.top() + name_h + painter.fontMetrics().height(),
                                       cap.width(), name_h),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                                 span_text(*span))

            # Thumbnails, or placeholders for a view not read yet.
            first = self.thumbnail_rect(v, 0)
            if view.frames:
                painter.drawPixmap(first.topLeft(), self._strip(view, s, dpr))
                self._paint_marks(painter, v, len(view.frames), highlight)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(placeholder)
                for f in range(self._columns):
                    painter.drawRoundedRect(QRectF(self.thumbnail_rect(v, f)), 3, 3)
        if not self._views:
            painter.setPen(blend(text, base, 0.45))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No frames yet")
        if self.hasFocus():
            draw_focus_frame(painter, QRectF(self.rect()), self)

    def _paint_marks(self, painter: QPainter, v: int, frames: int, colour: QColor) -> None:
        """A bar under each marked thumbnail, over its bottom edge."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        for f in sorted(p for p in self._marked if p < frames):
            r = self.thumbnail_rect(v, f)
            painter.drawRect(QRectF(r.left(), r.bottom() - 3, r.width(), 4))

    def _strip(self, view: _View, s: int, dpr: float) -> QPixmap:
        """The row's thumbnails as one pixmap, made at device resolution so they stay crisp."""
        key = (s, dpr)
        if view.strip is None or view.strip_key != key:
            px = round(s * dpr)
            gap = round(_GAP * dpr)
            # Transparent between thumbnails, so a row's tint shows through the gaps.
            image = QImage(len(view.frames) * (px + gap) - gap, px, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            p = QPainter(image)
            for f, frame in enumerate(view.frames):
                thumb = frame.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
                p.drawImage(f * (px + gap) + (px - thumb.width()) // 2, (px - thumb.height()) // 2, thumb)
            p.end()
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(dpr)
            view.strip, view.strip_key = pixmap, key
        return view.strip

    # -- interaction ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        found = self.hit(event.position().toPoint())
        if found is None:
            super().mousePressEvent(event)
            return
        view, frame = found
        self.set_selected_view(view)
        self.view_clicked.emit(view)
        times = self._views[view].times_s
        if frame is not None and frame < len(times):
            self.frame_clicked.emit(view, times[frame])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        n = len(self._views)
        if n and key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -1 if key in (Qt.Key.Key_Up, Qt.Key.Key_Left) else 1
            current = self._selected if self._selected is not None else (-1 if step > 0 else n)
            self.set_selected_view(min(n - 1, max(0, current + step)))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self._selected is not None:
            self.view_clicked.emit(self._selected)
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            return show_tip(event, self._tooltip(event.pos()), self)  # type: ignore[arg-type, attr-defined]
        return super().event(event)

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt's QResizeEvent
        super().resizeEvent(event)
        self.updateGeometry()

    def _tooltip(self, pos: QPoint) -> str | None:
        found = self.hit(pos)
        if found is None:
            return None
        v, f = found
        view = self._views[v]
        span = view.span()
        if f is not None and f < len(view.times_s):
            tip = f"View {v + 1} · frame {f + 1} of {len(view.times_s)} · {view.times_s[f]:.2f} s"
            return tip + (f" · also in the {self._marked_what}" if f in self._marked else "")
        if span is not None:
            return f"View {v + 1} · {span_text(*span)} · click to show its results"
        return f"View {v + 1} · not read yet"

    def _update_description(self) -> None:
        read = sum(1 for v in self._views if v.frames)
        parts = [f"{read} of {len(self._views)} views read"]
        if self._active is not None:
            parts.append(f"view {self._active + 1} being inferred")
        if self._selected is not None:
            parts.append(f"view {self._selected + 1} selected")
        self.setAccessibleDescription("; ".join(parts))
