"""Help ▸ About ▸ Licences: the About box's Licences button opens the notices, read off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QPushButton

from kinetoscope.ui.main.about import show_about
from kinetoscope.ui.main.about import LicencesDialog


def test_about_has_a_licences_button_that_shows_the_notices_and_keeps_about_open(qtbot):
    box = show_about(None)
    qtbot.addWidget(box)
    assert "Apache License 2.0" in box.text()
    button = next(b for b in box.findChildren(QPushButton) if b.text() == "&Licences…")
    button.click()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, LicencesDialog)]
    assert len(dialogs) == 1 and box.isVisible()  # About stays open behind it
    dialog = dialogs[0]
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.loaded, timeout=20_000)
    text = dialog.text.toPlainText()
    assert text.startswith("Kinetoscope ") and "PySide6" in text and "GNU LGPL version 3" in text
    assert dialog.text.isReadOnly()
    dialog.close()
    box.close()
