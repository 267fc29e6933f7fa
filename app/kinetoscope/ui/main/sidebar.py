"""The window's left column (what to run, on which clips) and the page shown before any clip."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QWidget

from kinetoscope.ui.main.clip_queue import ClipQueue
from kinetoscope.ui.main.controls_pane import ControlsPane
from kinetoscope.ui.widgets.layouts import column, row


def sidebar(controls: ControlsPane, queue: ClipQueue, buttons_for: Sequence[QAction]) -> QWidget:
    """The Run box (controls, and a button for each of `buttons_for`) above the Clips box."""
    run_box = QGroupBox("Run")
    buttons = row()
    for action in buttons_for:
        button = QPushButton(action.text().replace("&", ""))
        button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString()})")
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)  # the action decides; the button follows
        button.setEnabled(action.isEnabled())
        buttons.addWidget(button)
    column(controls, buttons, parent=run_box)
    clips_box = QGroupBox("Clips")
    column(queue, parent=clips_box)
    side = QWidget()
    column(run_box, (clips_box, 1), parent=side, margins=(0, 0, 0, 0))
    side.setMinimumWidth(240)
    return side


def drop_invitation(open_dialog: Callable[[], None], open_folder: Callable[[], None]) -> QWidget:
    """The page on show with no clip: what to do, and buttons that open clips or a folder of them."""
    page = QWidget()
    hint = QLabel("<h2>Drop video clips or folders here</h2>"
                  "<p>Kinetoscope shows which actions a model sees in them, view by view.</p>")
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    hint.setWordWrap(True)
    hint.setEnabled(False)
    buttons = [QPushButton("Open Clips…"), QPushButton("Open Folder…")]
    for button, command in zip(buttons, (open_dialog, open_folder)):
        button.clicked.connect(lambda _checked=False, command=command: command())
    column(1, hint, row(1, *buttons, 1), 1, parent=page)
    return page
