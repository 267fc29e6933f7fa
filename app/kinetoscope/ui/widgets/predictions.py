"""The five most probable actions, as labelled probability bars under a title."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QEasingCurve, QRectF, QSize, Qt, QVariantAnimation
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kinetoscope.engine.inference.results import Prediction
from kinetoscope.ui.widgets._look import begin_painting, blend
from kinetoscope.words import percent  # noqa: F401 - the panel's words, also the list's

_MARGIN = 6
_BAR_H = 7
_ROWS = 5
_ANIMATION_MS = 220


class TopPredictions(QWidget):
    """A title ("Whole clip", "View 3") over up to five labels with probability bars.

    New predictions glide from the previous ones (bars of a label that stays grow or shrink,
    new labels grow from zero) so a change of view reads as a change, not a flicker.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = ""
        self._preds: tuple[Prediction, ...] = ()
        self._previous: dict[str, float] = {}
        self._t = 1.0  # animation progress from the previous probabilities to the current ones
        self._animated = True
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setDuration(_ANIMATION_MS)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._step)
        self.setAccessibleName("Top predictions")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._describe()

    # -- public -----------------------------------------------------------------------------

    def set_predictions(self, preds: Sequence[Prediction], title: str = "") -> None:
        """Show the first five predictions (most probable first) under `title`."""
        self._previous = {p.label: self._shown_prob(i) for i, p in enumerate(self._preds)}
        self._preds = tuple(preds)[:_ROWS]
        self._title = title
        self._animation.stop()
        if self._animated and self.isVisible():
            self._t = 0.0
            self._animation.start()
        else:
            self._t = 1.0
        self._describe()
        self.update()

    def clear(self) -> None:
        """Show no predictions and no title."""
        self._animation.stop()
        self._preds = ()
        self._previous = {}
        self._title = ""
        self._t = 1.0
        self._describe()
        self.update()

    def set_animated(self, animated: bool) -> None:
        """Whether changes glide (default) or jump; tests and screenshots may want jumps."""
        self._animated = animated

    def title(self) -> str:
        return self._title

    def predictions(self) -> tuple[Prediction, ...]:
        return self._preds

    def bar_track(self, row: int) -> QRectF:
        """The full-width track of a row's bar (probability 1.0), in widget coordinates."""
        top = self._rows_top() + row * self._row_height() + self._label_height() + 3
        return QRectF(_MARGIN, top, max(1.0, self.width() - 2 * _MARGIN), _BAR_H)

    def bar_rect(self, row: int) -> QRectF:
        """The filled part of a row's bar as drawn now."""
        track = self.bar_track(row)
        track.setWidth(track.width() * max(0.0, min(1.0, self._shown_prob(row))))
        return track

    def sizeHint(self) -> QSize:
        return QSize(320, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(180, self._height())

    # -- internals --------------------------------------------------------------------------

    def _step(self, value: float) -> None:
        self._t = float(value)
        self.update()

    def _shown_prob(self, row: int) -> float:
        p = self._preds[row]
        if self._t >= 1.0:
            return p.prob
        start = self._previous.get(p.label, 0.0)
        return start + (p.prob - start) * self._t

    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        return font

    def _label_height(self) -> int:
        return self.fontMetrics().height()

    def _row_height(self) -> int:
        return self._label_height() + 3 + _BAR_H + 7

    def _rows_top(self) -> int:
        return _MARGIN + QFontMetrics(self._title_font()).height() + 6

    def _height(self) -> int:
        return self._rows_top() + _ROWS * self._row_height() + _MARGIN - 4

    def paintEvent(self, event: QPaintEvent) -> None:
        painter, (text, window, highlight) = begin_painting(self)
        muted = blend(text, window, 0.4)
        track_colour = blend(window, text, 0.10)
        width = self.width() - 2 * _MARGIN

        painter.setFont(self._title_font())
        painter.setPen(text)
        title_h = painter.fontMetrics().height()
        title = self._title or ("Top predictions" if self._preds else "")
        painter.drawText(QRectF(_MARGIN, _MARGIN, width, title_h), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, width))
        painter.setFont(self.font())
        fm = painter.fontMetrics()
        if not self._preds:
            painter.setPen(muted)
            painter.drawText(QRectF(_MARGIN, self._rows_top(), width, self._row_height()),
                             Qt.AlignmentFlag.AlignLeft, "No predictions yet")
            return

        for row, pred in enumerate(self._preds):
            track = self.bar_track(row)
            top = track.top() - 3 - self._label_height()
            shown = self._shown_prob(row)
            pct = percent(pred.prob)
            pct_w = fm.horizontalAdvance("100.0%") + 4
            bold = row == 0
            font = QFont(self.font())
            font.setBold(bold)
            painter.setFont(font)
            label_fm = painter.fontMetrics()
            painter.setPen(text if row < 2 else blend(text, window, 0.15))
            painter.drawText(QRectF(_MARGIN, top, width - pct_w, self._label_height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             label_fm.elidedText(pred.label, Qt.TextElideMode.ElideRight, width - pct_w))
            painter.setPen(text if row == 0 else muted)
            painter.drawText(QRectF(_MARGIN + width - pct_w, top, pct_w, self._label_height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, pct)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track_colour)
            painter.drawRoundedRect(track, _BAR_H / 2, _BAR_H / 2)
            fill = QRectF(track)
            fill.setWidth(track.width() * max(0.0, min(1.0, shown)))
            if fill.width() > 0.5:
                # The leader in the accent colour; the rest quieter, so rank reads at a glance.
                painter.setBrush(highlight if row == 0 else blend(highlight, window, 0.35))
                painter.drawRoundedRect(fill, min(_BAR_H / 2, fill.width() / 2), _BAR_H / 2)

    def _describe(self) -> None:
        items = "; ".join(f"{p.label} {percent(p.prob)}" for p in self._preds)
        self.setAccessibleDescription(f"{self._title}: {items}" if self._title else items)
        self.setToolTip("\n".join(f"{p.label}: {100 * p.prob:.2f}%" for p in self._preds))
