"""Painting the whole-clip timeline's rows from its arrays: windows, segments, legend, time axis.

Functions of explicit inputs (the arrays, a `TimeScale`, rectangles, colours), so what is drawn
depends on nothing but what is passed, and each costs in proportion to what is visible: the
windows row draws at most one rectangle per pixel column however many windows the clip has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette

from kinetoscope import words
from kinetoscope.ui.widgets._look import label_colour, text_on
from kinetoscope.ui.widgets.predictions import percent
from kinetoscope.ui.widgets.scan_track import SegmentTrack, WindowTrack

MIN_WINDOW_PX = 4   # narrower than this, windows are drawn as runs of pixel columns
_TICK_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

# A class index -> its fill, and the same faded (for windows a find-action query does not match).
Colours = Callable[[int], tuple[QColor, QColor]]


def clock(t: float, *, fraction: bool = False) -> str:
    """Seconds as a clock: "7.5 s" (with `fraction`, under a minute), "1:05", "1:02:03", "1:05.2"."""
    return f"{max(0.0, t):.1f} s" if fraction and t < 60 else words.clock(t, tenths=fraction)


@dataclass(frozen=True)
class TimeScale:
    """Where clip time lands on screen: x = left + t * pps - scroll, over `width` pixels."""

    left: float
    width: int
    pps: float          # pixels per second
    scroll: int         # pixels of clip scrolled off to the left
    duration: float

    def x_of(self, t: float) -> float:
        return self.left + t * self.pps - self.scroll

    def visible_range(self) -> tuple[float, float]:
        if self.pps <= 0:
            return 0.0, 0.0
        return self.scroll / self.pps, min(self.duration, (self.scroll + self.width) / self.pps)


def paint_windows(painter: QPainter, track: WindowTrack, scale: TimeScale, bars: QRectF,
                  matched: np.ndarray | None, colours: Colours, highlight: QColor, mark_height: float) -> None:
    """Each visible window in its top action's colour; with `matched` (a find-action query), the
    matches get a `highlight` mark above and the rest are faded."""
    t0, t1 = scale.visible_range()
    first, stop = track.visible(t0, t1)
    if stop <= first:
        return
    querying = matched is not None
    hits = matched if matched is not None else np.zeros(len(track), bool)
    mark_top = bars.top() - mark_height - 1
    width = scale.width
    if (stop - first) * MIN_WINDOW_PX > width:
        # Dense: one window per pixel column (the one covering the column's middle), drawn as runs
        # of columns that look the same. At most `width` rectangles, whatever the count.
        idx = track.at_times((scale.scroll + np.arange(width) + 0.5) / scale.pps)
        shown = idx >= 0
        safe = np.where(shown, idx, 0)
        key = np.where(shown, track.top1[safe].astype(np.int64) * 2 + (hits[safe] & shown), -1)
        breaks = np.flatnonzero(np.diff(key)) + 1
        for a, b in zip(np.concatenate(([0], breaks)).tolist(), np.concatenate((breaks, [width])).tolist()):
            k = int(key[a])
            if k < 0:
                continue
            full, faded = colours(k // 2)
            hit = bool(k % 2)
            painter.fillRect(QRectF(scale.left + a, bars.top(), b - a, bars.height()),
                             faded if querying and not hit else full)
            if querying and hit:
                painter.fillRect(QRectF(scale.left + a, mark_top, b - a, mark_height), highlight)
        return
    # Sparse: each window its own bar, a pixel apart so neighbours with one action stay apart.
    starts, ends, top1 = track.starts, track.ends, track.top1
    for i in range(first, stop):
        if top1[i] < 0:
            continue
        x0, x1 = scale.x_of(float(starts[i])), scale.x_of(float(ends[i]))
        full, faded = colours(int(top1[i]))
        hit = bool(hits[i])
        rect = QRectF(x0, bars.top(), max(1.0, x1 - x0 - 1), bars.height())
        painter.fillRect(rect, faded if querying and not hit else full)
        if querying and hit:
            painter.fillRect(QRectF(x0, mark_top, rect.width(), mark_height), highlight)


def paint_segments(painter: QPainter, segments: SegmentTrack, track: WindowTrack, scale: TimeScale, row: QRectF,
                   palette: QPalette) -> None:
    """The visible segments in `row`, each in its label's colour, captioned where there is room."""
    t0, t1 = scale.visible_range()
    fm = painter.fontMetrics()
    for i in segments.visible(t0, t1):
        x0 = max(row.left(), scale.x_of(float(segments.starts[i])))
        x1 = min(row.right(), scale.x_of(float(segments.ends[i])))
        if x1 - x0 < 0.5:
            continue
        label = segments.labels[i]
        fill = label_colour(label, palette, track.class_index(label))
        rect = QRectF(x0, row.top() + 1, max(1.0, x1 - x0 - 1), row.height() - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 3, 3)
        inner = rect.adjusted(4, 0, -3, 0)
        if inner.width() > fm.horizontalAdvance("m…"):
            painter.setPen(text_on(fill))
            caption = f"{label} {percent(segments.probs[i])}"
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             fm.elidedText(caption, Qt.TextElideMode.ElideRight, int(inner.width())))


def paint_legend(painter: QPainter, legend: list[tuple[int, int]], track: WindowTrack, row: QRectF,
                 colours: Colours, text: QColor, muted: QColor) -> None:
    """The most frequent top actions, with their share of the windows, as many as fit in `row`."""
    fm = painter.fontMetrics()
    total = max(1, len(track))
    x, right = row.left(), row.right()
    swatch = fm.height() - 4
    for n, (class_index, count) in enumerate(legend):
        share = f"{100 * count / total:.0f}%" + (" of windows" if n == 0 else "")  # said once: not a probability
        caption = f"{track.label(class_index)} {share}"
        width = swatch + 5 + fm.horizontalAdvance(caption) + 14
        others = len(legend) - n
        rest = f"+{others} more"
        # Room for this entry, and for "+N more" after it unless it is the last.
        if x + width + (fm.horizontalAdvance(rest) if others > 1 else 0) > right:
            painter.setPen(muted)
            painter.drawText(QRectF(x, row.top(), right - x, row.height()),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, rest)
            break
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours(class_index)[0])
        painter.drawRoundedRect(QRectF(x, row.top() + 2, swatch, swatch), 2, 2)
        painter.setPen(text)
        painter.drawText(QRectF(x + swatch + 5, row.top(), width, row.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, caption)
        x += width


def paint_axis(painter: QPainter, scale: TimeScale, top: float, colour: QColor, max_x: float, *,
               label: Callable[[float, float], str] = lambda t, step: clock(t, fraction=step < 1),
               steps: tuple[float, ...] = _TICK_STEPS, widest: str = "0:00:00", gap: int = 18) -> None:
    """The one time axis (the scan's, the views'): ticks and `label(t, step)` under the rows, at
    the first of `steps` that keeps labels as wide as `widest` `gap` pixels apart."""
    if scale.pps <= 0:
        return
    fm = painter.fontMetrics()
    min_gap_px = fm.horizontalAdvance(widest) + gap
    step = next((s for s in steps if s * scale.pps >= min_gap_px), steps[-1])
    t0, t1 = scale.visible_range()
    painter.setPen(colour)
    k = int(t0 // step)
    while k * step <= t1 + 1e-9:
        t = k * step
        x = scale.x_of(t)
        if x >= scale.left - 0.5:
            painter.drawLine(QPointF(x, top), QPointF(x, top + 3))
            text = label(t, step)
            w = fm.horizontalAdvance(text)
            lx = min(max(x - w / 2, 0), max_x - w)
            painter.drawText(QRectF(lx, top + 4, w + 1, fm.height()), Qt.AlignmentFlag.AlignLeft, text)
        k += 1
