"""The one widget that shows failures to people: a banner above a window's content.

The main window's floats over the top of its clip view (`float_over`), so that its coming and
going never moves what is under the pointer; each tool window (models, benchmark, camera) has its own,
the same widget, above its content. A banner rather than dialogs: it never blocks the window, and a burst of failures
replaces one message instead of stacking modal boxes. The technical detail is one click away
("Details"), and every message shown is also written to the log.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QGuiApplication, QPalette
from PySide6.QtWidgets import (QFrame, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QStyle, QToolButton,
                               QWidget)

from kinetoscope.engine import paths
from kinetoscope.ui.tasks import Failure
from kinetoscope.ui.widgets.layouts import column, row

log = logging.getLogger(__name__)


class ErrorPanel(QFrame):
    """A dismissable message with an optional, collapsed technical detail."""

    def __init__(self, parent: QWidget | None = None, *, where: str = "window") -> None:
        super().__init__(parent)
        self.setObjectName("ErrorPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._severity = "error"
        self._where = where  # which window's banner, for the log
        self._host: QWidget | None = None  # the widget it floats over, if any
        self._icon = QLabel()
        self._message = QLabel(wordWrap=True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._details_button = QToolButton(text="Details", checkable=True)
        self._details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._details_button.setArrowType(Qt.ArrowType.RightArrow)
        self._details_button.toggled.connect(self._toggle_details)
        log_button = QPushButton("Open log folder")
        log_button.setFlat(True)
        log_button.clicked.connect(lambda: open_log_folder(self.window()))
        close = QToolButton(text="✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.dismiss)
        self._details = QPlainTextEdit(readOnly=True)
        self._details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._details.hide()

        top = row(self._icon, (self._message, 1), self._details_button, log_button, close)
        for widget in (self._icon, self._details_button, log_button, close):
            top.setAlignment(widget, Qt.AlignmentFlag.AlignTop)
        column(top, self._details, parent=self, margins=(10, 6, 6, 6))
        self.hide()

    # -- what the window calls ------------------------------------------------------------
    def show_message(self, message: str, detail: str = "", *, hint: str = "", severity: str = "error") -> None:
        """Show `message` (replacing any other); `severity` is "error" or "warning".

        Details lead with `hint` (what the person can do), then the technical `detail`.
        """
        log.log(logging.ERROR if severity == "error" else logging.WARNING, "%s says: %s%s", self._where, message,
                f"\n{detail}" if detail else "")
        self._severity = severity
        self._message.setText(message)
        if hint:
            detail = f"{hint}\n\nTechnical detail (also in the log):\n{detail}" if detail else hint
        self._details.setPlainText(detail)
        self._fit_details(detail)
        self._details_button.setVisible(bool(detail))
        self._details_button.setChecked(False)
        icon = QStyle.StandardPixmap.SP_MessageBoxCritical if severity == "error" else \
            QStyle.StandardPixmap.SP_MessageBoxWarning
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self._icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self._apply_colours()
        self.show()
        self._place()

    def float_over(self, host: QWidget, margin: int = 8) -> None:
        """Float over the top of `host`, across its width less `margin`, instead of taking room in a layout."""
        self.setParent(host)
        self._host, self._margin = host, margin
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._host and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        if self._host is None or self.isHidden():
            return
        width = self._host.width() - 2 * self._margin
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        self.setGeometry(self._margin, self._margin, width, height if height > 0 else self.sizeHint().height())
        self.raise_()

    def show_failure(self, failure: Failure, prefix: str = "") -> None:
        """Show a task's failure, after `prefix` ("Could not classify x.mp4.")."""
        self.show_message(f"{prefix} {failure.message}".strip(), failure.detail, hint=failure.hint)

    def dismiss(self) -> None:
        self.hide()
        self._message.clear()
        self._details.clear()

    @property
    def message(self) -> str:
        return "" if self.isHidden() else self._message.text()  # shown, even if its window is not

    @property
    def detail(self) -> str:
        return self._details.toPlainText()

    @property
    def details_visible(self) -> bool:
        return self._details.isVisible()

    def set_details_visible(self, visible: bool) -> None:
        self._details_button.setChecked(visible)

    # -- look -----------------------------------------------------------------------------
    def _fit_details(self, text: str) -> None:
        # As tall as the text (up to a limit, then it scrolls), not a mostly empty box.
        lines = max(1, text.count("\n") + 1)
        margins = self._details.contentsMargins()
        frame = 2 * self._details.frameWidth() + margins.top() + margins.bottom() + 2 * int(
            self._details.document().documentMargin())
        scrollbar = self._details.horizontalScrollBar().sizeHint().height()  # long lines do not wrap
        height = self._details.fontMetrics().lineSpacing() * min(lines, 12) + frame + scrollbar
        self._details.setFixedHeight(height)

    def _toggle_details(self, shown: bool) -> None:
        self._details.setVisible(shown)
        self._details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._place()

    def refresh_colours(self) -> None:
        """Re-tint for the current palette (after the OS switches between light and dark)."""
        self._apply_colours()

    def _apply_colours(self) -> None:
        # A tint of red or amber over the window colour reads well in light and dark schemes; mixed
        # here rather than left translucent, so that floating it hides what is under it.
        window = self.palette().color(QPalette.ColorRole.Window)
        dark = window.lightnessF() < 0.5
        tint = (200, 40, 40) if self._severity == "error" else (220, 150, 0)
        alpha = (70 if dark else 40) / 255
        fill = QColor(*(round(c * alpha + w * (1 - alpha)) for c, w in zip(tint, window.getRgb()[:3])))
        self.setStyleSheet(
            f"#ErrorPanel {{ background: {fill.name()};"
            f" border: 1px solid rgba({tint[0]},{tint[1]},{tint[2]},160); border-radius: 6px; }}")


def open_log_folder(parent: QWidget | None = None) -> QMessageBox | None:
    """Show the folder with the log file in the system's file manager.

    Where none is registered (a bare desktop, a server session) opening fails silently in Qt; then
    a message says where the folder is and offers to copy its path. Returns that message, if shown.
    """
    folder = paths.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    log.info("No file manager opened the log folder %s", folder)
    box = QMessageBox(QMessageBox.Icon.Information, "Log folder",
                      "No file manager could open the log folder. It is here:", parent=parent)
    box.setInformativeText(str(folder))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton("Copy Path", QMessageBox.ButtonRole.ActionRole)
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(str(folder)))
    box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(copy)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # window-modal, and returns at once
    return box
