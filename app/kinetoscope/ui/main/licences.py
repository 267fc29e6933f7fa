"""Help ▸ About ▸ Licences: Kinetoscope's licence and the third-party notices, as `--licences` prints them."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QWidget

from kinetoscope.engine.notices import notices_text
from kinetoscope.ui.tasks import Failure, Lane, Op
from kinetoscope.ui.widgets.layouts import column

INTRO = ("Kinetoscope is free software under the Apache License 2.0. It runs with the components below, each "
         "under its own licence; Qt and FFmpeg are used as separate shared libraries you may replace. "
         "`kinetoscope --licences` prints the same text.")


class LicencesDialog(QDialog):
    """A read-only view of the notices; they are read (about 0.7 MB, a second on a slow disk) off the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Licences")
        self.resize(860, 640)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setAccessibleName("Licences")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText("Reading the licences…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column(intro, (self.text, 1), buttons, parent=self)
        self._lane = Lane("licences", parent=self)
        Op(self._lane, lambda _ctx: notices_text(), name="read notices").success(self._show).failure(self._failed).run()
        self.finished.connect(lambda _code: self._lane.shutdown())

    def loaded(self) -> bool:
        return not self.text.toPlainText().startswith("Reading the licences")

    def _show(self, text: str) -> None:
        self.text.setPlainText(text)

    def _failed(self, failure: Failure) -> None:
        self.text.setPlainText(f"The licences could not be read: {failure.message}\n\n{failure.detail}")


def show_licences(parent: QWidget | None) -> LicencesDialog:
    """Open the Licences dialog (non-modal) and return it."""
    dialog = LicencesDialog(parent)
    dialog.show()
    return dialog
