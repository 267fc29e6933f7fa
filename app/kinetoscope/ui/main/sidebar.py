"""The window's left column (what to run, on which clips) and the page shown before any clip."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kinetoscope.ui.main.clip_queue import ClipQueue
from kinetoscope.ui.main.controls_pane import ControlsPane


def sidebar(controls: ControlsPane, queue: ClipQueue, buttons_for: Sequence[QAction]) -> QWidget:
    """The Run box (controls, and a button for each of `buttons_for`) above the Clips box."""
    run_box = QGroupBox("Run")
    run_layout = QVBoxLayout(run_box)
    run_layout.addWidget(controls)
    buttons = QHBoxLayout()
    for action in buttons_for:
        button = QPushButton(action.text().replace("&", ""))
        button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString()})")
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)  # the action decides; the button follows
        button.setEnabled(action.isEnabled())
        buttons.addWidget(button)
    run_layout.addLayout(buttons)
    clips_box = QGroupBox("Clips")
    QVBoxLayout(clips_box).addWidget(queue)
    column = QWidget()
    side = QVBoxLayout(column)
    side.setContentsMargins(0, 0, 0, 0)
    side.addWidget(run_box)
    side.addWidget(clips_box, 1)
    column.setMinimumWidth(240)
    return column


def drop_invitation(open_dialog: Callable[[], None], open_folder: Callable[[], None]) -> QWidget:
    """The page on show with no clip: what to do, and buttons that open clips or a folder of them."""
    page = QWidget()
    hint = QLabel("<h2>Drop video clips or folders here</h2>"
                  "<p>Kinetoscope shows which actions a model sees in them, view by view.</p>")
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    hint.setWordWrap(True)
    hint.setEnabled(False)
    buttons = QHBoxLayout()
    buttons.addStretch(1)
    for text, command in (("Open Clips…", open_dialog), ("Open Folder…", open_folder)):
        button = QPushButton(text)
        button.clicked.connect(lambda _checked=False, command=command: command())
        buttons.addWidget(button)
    buttons.addStretch(1)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(hint)
    layout.addLayout(buttons)
    layout.addStretch(1)
    return page
