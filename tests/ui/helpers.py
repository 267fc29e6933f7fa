"""What the window tests share: waiting for the event loop (`wait_until`, `act_on`), driving the
window as a person would (dropping files, picking from combo boxes), and a lane that runs its jobs
only when a test says so. Fixtures stay in conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QLineEdit, QWidget

from kinetoscope.ui.tasks import Task
from locations import SAMPLES

SAMPLE = SAMPLES / "sample_rotating_clockwise.mp4"
SAMPLE_LABEL = "rotating clockwise"  # what the demo model answers for SAMPLE


def drop_files(target: QWidget, files: Sequence[Path]) -> bool:
    """Send a real drag-enter and drop of `files` (as file URLs) onto `target`; True if taken."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    centre = target.rect().center()
    enter = QDragEnterEvent(QPoint(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def pick(combo: QComboBox, data: object) -> None:
    """Choose the item holding `data` the way a click does (index change, then `activated`)."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered by {combo.accessibleName()}"
    assert combo.model().flags(combo.model().index(index, 0)) & Qt.ItemFlag.ItemIsEnabled, \
        f"{data!r} is disabled in {combo.accessibleName()}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


class StepLane(QObject):
    """A lane that runs nothing until told: `step()` runs the oldest queued job to its end on the
    calling thread (its reports arrive, as from a real lane, at the next turn of the event loop).

    For building a runner alone and deciding exactly when its jobs run and end.
    """

    unhandled = Signal(object)  # Failure

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[tuple[Task, Callable]] = []

    def submit(self, job: Callable, *, name: str = "") -> Task:
        task = Task(name)
        self.queued.append((task, job))
        return task

    def step(self) -> Task:
        task, job = self.queued.pop(0)
        task._run(job)  # noqa: SLF001 - the lane is the task's runner
        QApplication.processEvents()
        return task

    def shutdown(self, timeout_s: float = 0.0, *, last: Callable[[], None] | None = None) -> bool:
        if last is not None:
            last()
        return True


def act_on(qapp: QApplication, signal, condition: Callable[..., object], action: Callable[[], object],  # noqa: ANN001
           what: str, timeout_s: float = 60.0) -> tuple:
    """Call `action()` inside the first emission of `signal` whose arguments satisfy `condition`.

    For "do X while a run is under way": polling for the state between turns of the event loop
    misses a run that starts and ends within one turn (the demo model runs a view in ~10 ms); a
    slot runs while the state is certain. Returns that emission's arguments.
    """
    seen: list[tuple] = []

    def slot(*args: object) -> None:
        if not seen and condition(*args):
            seen.append(args)
            action()

    signal.connect(slot)
    try:
        wait_until(qapp, lambda: seen, timeout_s, what)
    finally:
        signal.disconnect(slot)
    return seen[0]


def wait_until(qapp: QApplication, condition: Callable[[], object], timeout_s: float = 60.0,
               what: str = "condition") -> None:
    """Run the event loop until `condition()` is true, failing after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        qapp.processEvents()
        time.sleep(0.005)


def wait_idle(qapp: QApplication, window, what: str = "the list") -> None:  # noqa: ANN001 - a MainWindow
    """Wait until nothing runs and the engine has acknowledged every job, cancelled ones included."""
    wait_until(qapp, lambda: window.runner.running is None and not window.engine.busy(), what=what)


def answer_next_dialog(qapp: QApplication, respond: Callable[[QWidget], None], kind: type = QWidget) -> list[str]:
    """Answer the next modal dialog of `kind` (a file dialog's loop or a message box) with `respond`;
    the list returned gets the dialog's title once it was answered."""
    answered: list[str] = []
    tries = iter(range(400))  # 20 s; then whatever modal window is open is closed, so no test hangs

    def look() -> None:
        dialog = qapp.activeModalWidget()
        if isinstance(dialog, kind):
            answered.append(dialog.windowTitle())
            respond(dialog)
        elif next(tries, None) is not None:
            QTimer.singleShot(50, look)
        elif dialog is not None:
            dialog.close()

    QTimer.singleShot(50, look)
    return answered


def choose_file(path: Path) -> Callable[[QWidget], None]:
    def respond(dialog: QWidget) -> None:
        assert isinstance(dialog, QFileDialog)
        dialog.setDirectory(str(path.parent))
        dialog.findChild(QLineEdit, "fileNameEdit").setText(path.name)  # typed into "File name"
        dialog.accept()
    return respond
