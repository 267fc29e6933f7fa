"""How a tool window behaves as a window: where it opens (on the screen that holds the main window,
inside its available area) and the keys that close it.

A window manager places a new top-level window by its own rules (openbox: under the pointer, or
cascaded), which can put a 780-px-tall window's bottom off a 1000-px screen.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

# Room left for the window manager's title bar and frame, which a hidden window's geometry omits.
_FRAME_ALLOWANCE = (16, 48)
_PLACED = "kinetoscopePlaced"  # set once the window has been placed the first time


def place_within_screen(widget: QWidget, over: QWidget) -> None:
    """Put `widget` (a top-level window) on the screen that holds `over`, inside its available area:
    centred on `over` the first time, kept where the person left it after, and shrunk to fit."""
    screen = over.screen()
    if screen is None:
        return
    area = screen.availableGeometry()
    room = QSize(area.width() - _FRAME_ALLOWANCE[0], area.height() - _FRAME_ALLOWANCE[1])
    size = widget.size().boundedTo(room).expandedTo(widget.minimumSizeHint().boundedTo(room))
    if size != widget.size():
        widget.resize(size)
    if widget.property(_PLACED):
        top_left = widget.pos()
    else:
        top_left = over.frameGeometry().center() - QPoint(size.width() // 2, size.height() // 2)
        widget.setProperty(_PLACED, True)
    x = min(max(top_left.x(), area.left()), area.right() + 1 - size.width() - _FRAME_ALLOWANCE[0])
    y = min(max(top_left.y(), area.top()), area.bottom() + 1 - size.height() - _FRAME_ALLOWANCE[1])
    widget.move(max(x, area.left()), max(y, area.top()))


def close_keys(window: QWidget) -> None:
    """Esc, Ctrl+W and the platform's Close key close `window`, as the benchmark (a dialog) and the
    platform's other tool windows close (Ctrl+W is named too: some platforms' Close is only Ctrl+F4)."""
    keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Close)
    for key in keys + [k for k in (QKeySequence("Ctrl+W"), QKeySequence(Qt.Key.Key_Escape)) if k not in keys]:
        QShortcut(key, window, window.close)
