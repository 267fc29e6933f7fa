"""A clear focus ring around whichever control of a window has the keyboard focus.

Styles draw focus faintly (Fusion: a 1-px line, or nothing on combo boxes and buttons), and a
style sheet that thickens it would replace the style's drawing of every control. Instead one
small overlay per window draws a 2-px ring in the palette's highlight colour just outside the
focused control. It is masked to the ring itself, so the control under it repaints as if it
were not there, and it ignores the mouse.

Widgets that draw their own focus (the timelines, the frame strip) set the property named
`DRAWS_OWN_FOCUS` to True and get no ring.

The controls it follows come and go (a table's cell buttons are replaced when it is rebuilt), so
it forgets each one on its `destroyed` signal and never touches a deleted one: a Python method
that Qt calls from C++ (this `eventFilter`) and touches a deleted object ends the process.
A focused control being deleted gives up the focus from its destructor, before `destroyed`: by
then its Python side is already gone, which `isValid` tells.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QMetaObject, QObject, QRect, QRectF, Qt
from PySide6.QtGui import QFocusEvent, QPainter, QPaintEvent, QPalette, QPen, QRegion
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

from kinetoscope.ui.crash_guard import survives

DRAWS_OWN_FOCUS = "drawsOwnFocus"
RING_WIDTH = 2
_OUTSET = 3  # the ring lies this far outside the control, clear of its own border


def draw_focus_frame(painter: QPainter, rect: QRectF, widget: QWidget) -> None:
    """The ring the overlay draws, for a custom widget to draw inside its own `rect`."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(widget.palette().color(QPalette.ColorRole.Highlight), RING_WIDTH))
    half = RING_WIDTH / 2
    painter.drawRoundedRect(rect.adjusted(half, half, -half, -half), 4, 4)
    painter.restore()


class RepaintsOnFocus:
    """Mixin for a widget that draws its own focus frame (`draw_focus_frame`): it repaints as the
    focus comes and goes."""

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)  # type: ignore[misc]
        self._focus_surface().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)  # type: ignore[misc]
        self._focus_surface().update()

    def _focus_surface(self) -> QWidget:
        return self  # type: ignore[return-value]  # a scroll area paints on its viewport instead



class FocusRing(QWidget):
    """Follows the keyboard focus inside `window` and rings the focused control."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target: QWidget | None = None
        # The focused control and the panes holding it, each with its `destroyed` connection.
        self._watched: dict[int, tuple[QWidget, QMetaObject.Connection]] = {}
        self.hide()
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def target(self) -> QWidget | None:
        """The control ringed now (None: none is)."""
        return self._target if self.isVisible() else None

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        self._unwatch()
        window = self.parentWidget()
        if (new is None or new is self or new.window() is not window
                or bool(new.property(DRAWS_OWN_FOCUS))):
            self._target = None
            self.hide()
            return
        self._target = new
        # The control moves when it or any pane holding it moves or resizes (a splitter, a scroll).
        widget: QWidget | None = new
        while widget is not None and widget is not window:
            widget.installEventFilter(self)
            self._watched[id(widget)] = (widget, widget.destroyed.connect(partial(self._forget, id(widget))))
            widget = widget.parentWidget()
        self._place()

    def _unwatch(self) -> None:
        """Stop following the control and its panes (all alive: a destroyed one was forgotten)."""
        watched, self._watched = self._watched, {}
        for widget, connection in watched.values():
            if isValid(widget):  # else it is mid-destruction, and Qt drops its filter itself
                QObject.disconnect(connection)
                widget.removeEventFilter(self)

    def _forget(self, key: int, _gone: QObject | None = None) -> None:
        """A followed widget is being destroyed: drop every reference to it (Qt drops its filter)."""
        gone = self._watched.pop(key, None)
        if gone is not None and gone[0] is self._target:
            self._target = None
            self.hide()

    @survives(default=False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide):
            self._place()
        return False

    def _place(self) -> None:
        target, window = self._target, self.parentWidget()
        if target is None or window is None or not isValid(target) or not target.isVisible():
            self.hide()
            return
        shown = target.visibleRegion().boundingRect()  # the part no scroll area or pane hides
        if shown.isEmpty():
            self.hide()
            return
        top_left = target.mapTo(window, shown.topLeft())
        ring = QRect(top_left, shown.size()).adjusted(-_OUTSET, -_OUTSET, _OUTSET, _OUTSET)
        self.setGeometry(ring)
        outer = QRegion(self.rect())
        self.setMask(outer.subtracted(QRegion(self.rect().adjusted(RING_WIDTH, RING_WIDTH,
                                                                   -RING_WIDTH, -RING_WIDTH))))
        self.raise_()
        self.show()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        draw_focus_frame(painter, QRectF(self.rect()), self)
