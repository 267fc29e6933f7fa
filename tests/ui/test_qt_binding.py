"""Guards against a Qt binding that corrupts the interpreter (see pyproject.toml's PySide6 pin)."""

from __future__ import annotations

import sys


def test_void_qt_calls_keep_the_reference_count_of_none(qtbot):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.update()
        widget.setToolTip("")
    # A little slack for unrelated objects created meanwhile; the bug loses 4000 here.
    assert abs(sys.getrefcount(None) - before) < 50
