"""The one place where failures become messages for people: a banner above the window's content.

A banner rather than dialogs: it never blocks the window, and a burst of failures replaces one
message instead of stacking modal boxes. The technical detail is one click away ("Details").
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QStyle,
                               QToolButton, QVBoxLayout, QWidget)


class ErrorPanel(QFrame):
    """A dismissable message with an optional, collapsed technical detail."""

    open_log_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ErrorPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._severity = "error"
        self._icon = QLabel()
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._details_button = QToolButton(text="Details")
        self._details_button.setCheckable(True)
        self._details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._details_button.setArrowType(Qt.ArrowType.RightArrow)
        self._details_button.toggled.connect(self._toggle_details)
        log_button = QPushButton("Open log folder")
        log_button.setFlat(True)
        log_button.clicked.connect(self.open_log_requested)
        close = QToolButton(text="✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.dismiss)
        self._details = QPlainTextEdit(readOnly=True)
        self._details.setMaximumHeight(160)
        self._details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._details.hide()

        row = QHBoxLayout()
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self._message, 1)
        row.addWidget(self._details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(log_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(row)
        layout.addWidget(self._details)
        self.hide()

    # -- what the window calls ------------------------------------------------------------
    def show_message(self, message: str, detail: str = "", *, severity: str = "error") -> None:
        """Show `message` (replacing any other); `severity` is "error" or "warning"."""
        self._severity = severity
        self._message.setText(message)
        self._details.setPlainText(detail)
        self._details_button.setVisible(bool(detail))
        self._details_button.setChecked(False)
        icon = QStyle.StandardPixmap.SP_MessageBoxCritical if severity == "error" else \
            QStyle.StandardPixmap.SP_MessageBoxWarning
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self._icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self._apply_colours()
        self.show()

    def dismiss(self) -> None:
        self.hide()
        self._message.clear()
        self._details.clear()

    @property
    def message(self) -> str:
        return self._message.text() if self.isVisible() else ""

    @property
    def detail(self) -> str:
        return self._details.toPlainText()

    @property
    def details_visible(self) -> bool:
        return self._details.isVisible()

    def set_details_visible(self, visible: bool) -> None:
        self._details_button.setChecked(visible)

    # -- look -----------------------------------------------------------------------------
    def _toggle_details(self, shown: bool) -> None:
        self._details.setVisible(shown)
        self._details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def refresh_colours(self) -> None:
        """Re-tint for the current palette (after the OS switches between light and dark)."""
        self._apply_colours()

    def _apply_colours(self) -> None:
        # A tint of red or amber over the window colour reads well in light and dark schemes.
        window = self.palette().color(QPalette.ColorRole.Window)
        dark = window.lightnessF() < 0.5
        tint = (200, 40, 40) if self._severity == "error" else (220, 150, 0)
        alpha = 70 if dark else 40
        self.setStyleSheet(
            f"#ErrorPanel {{ background: rgba({tint[0]},{tint[1]},{tint[2]},{alpha});"
            f" border: 1px solid rgba({tint[0]},{tint[1]},{tint[2]},160); border-radius: 6px; }}")
