"""The progress bar schedules its paint: a report handler never paints the window synchronously."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from kinetoscope.ui.widgets.progress_bar import ProgressBar


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def _shown(qtbot, bar: QProgressBar) -> tuple[QWidget, _PaintCounter]:
    host = QWidget()
    QVBoxLayout(host).addWidget(bar)
    qtbot.addWidget(host)
    bar.setRange(0, 100)
    host.show()
    qtbot.waitExposed(host)
    qtbot.wait(50)
    counter = _PaintCounter()
    bar.installEventFilter(counter)
    return host, counter


def test_qt_bar_repaints_inside_set_value(qtbot):
    """The behaviour the widget exists to avoid (if Qt changes it, the widget can go)."""
    _host, counter = _shown(qtbot, plain := QProgressBar())
    for value in range(1, 13):
        plain.setValue(value * 8)
    assert counter.paints >= 12


def test_progress_bar_paints_once_per_turn(qtbot):
    _host, counter = _shown(qtbot, bar := ProgressBar())
    for value in range(1, 13):
        bar.setValue(value * 8)
        bar.setRange(0, 100)
    assert counter.paints == 0 and bar.value() == 96
    qtbot.waitUntil(lambda: counter.paints >= 1, timeout=2000)
    qtbot.wait(50)
    assert counter.paints <= 2
