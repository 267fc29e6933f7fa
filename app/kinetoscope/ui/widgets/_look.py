"""Colours, images and painter set-up shared by the widgets, derived from the application palette."""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QHelpEvent, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget


def is_dark(palette: QPalette) -> bool:
    """True when the palette draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


class PaintColours(NamedTuple):
    """The palette colours the widgets paint with; a tuple, so a paintEvent can unpack it."""

    text: QColor
    window: QColor
    highlight: QColor


def begin_painting(widget: QWidget) -> tuple[QPainter, PaintColours]:
    """An antialiased painter on `widget`, for its paintEvent, and the colours of its palette."""
    painter = QPainter(widget)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pal = widget.palette()
    return painter, PaintColours(pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window),
                                 pal.color(QPalette.ColorRole.Highlight))


def draw_playhead(painter: QPainter, x: float, top: float, bottom: float, colours: PaintColours) -> None:
    """The playhead of a timeline: a 2-px line in the text colour on the pixel column at `x`,
    with a halo in the window's colour that keeps it visible over any label's colour."""
    x = round(x) + 0.5
    for colour, width in ((colours.window, 4.0), (colours.text, 2.0)):
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` towards `b` (opaque), for tints that work in light and dark."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


# Distinct, mid-light hues that carry dark text; a checksum picks one per label. A small set of
# clearly different colours beats a continuous hue, whose near-collisions look like the same action.
_LABEL_COLOURS = (
    "#5aa9e6", "#f4a259", "#7bc67e", "#e56b6f", "#b08ee0", "#f2cc5b",
    "#4fc1b9", "#e88fc7", "#a8c545", "#d9895b", "#8c9ef5", "#c9a27e",
)


def label_colour(label: str, palette: QPalette, index: int | None = None) -> QColor:
    """A colour that is always the same for `label`, in light and dark palettes alike.

    With the class `index` the model gives the label, the colour follows it: a model's first
    dozen classes never share a colour (a checksum makes three of the demo model's nine collide),
    and later ones get a deeper or paler shade of the same twelve. Without it, a checksum of the
    label picks (not `hash`, which changes between runs). Dark palettes get a slightly deeper shade.
    """
    n = len(_LABEL_COLOURS)
    if index is not None and index >= 0:
        colour = QColor(_LABEL_COLOURS[index % n])
        colour = (colour, colour.darker(135), colour.lighter(118))[(index // n) % 3]
    else:
        colour = QColor(_LABEL_COLOURS[zlib.crc32(label.encode("utf-8")) % n])
    return colour.darker(112) if is_dark(palette) else colour


def text_on(fill: QColor) -> QColor:
    """Near-black or near-white, whichever contrasts more with `fill` (WCAG contrast ratio)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(fill.redF()) + 0.7152 * lin(fill.greenF()) + 0.0722 * lin(fill.blueF())
    # (lum + 0.05) / 0.05 against black beats 1.05 / (lum + 0.05) against white above ~0.18.
    return QColor(20, 20, 20) if lum > 0.179 else QColor(250, 250, 250)


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of uint8 RGB pixels [H, W, 3].

    QImage built over a numpy buffer only borrows it; copying makes the image independent of the
    array's lifetime, and of the thread that made it (QImage, unlike QPixmap, is thread-safe).
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected uint8 RGB [H, W, 3], got {rgb.dtype} {rgb.shape}")
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def show_tip(event: QHelpEvent, text: str | None, widget: QWidget) -> bool:
    """Answer a tooltip event over `widget` with `text` (None: no tip there); True: it is handled."""
    if text:
        QToolTip.showText(event.globalPos(), text, widget)
    else:
        QToolTip.hideText()
    return True


def small_font(widget: QWidget) -> QFont:
    """`widget`'s font at 85 % (6 pt at the least): captions, times and axes."""
    font = QFont(widget.font())
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    return font
