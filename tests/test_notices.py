"""Kinetoscope's licence and the third-party notices: generated from what is installed, complete,
and shown by `kinetoscope --licences`. A runtime dependency without a licence or a licence text
fails here, so none can be added without its notice."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kinetoscope.engine import notices
from kinetoscope.engine.modelfiles import bundled_data
from locations import REPO


def test_kinetoscope_is_apache_2_in_the_licence_file_and_the_metadata():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert notices.licence_text("Apache-2.0") == licence  # the copy the app shows is the same text


def test_every_runtime_dependency_has_a_licence_and_its_text():
    found = notices.collect()
    assert found.missing == [], f"dependencies without a notice (add their text to EXTRA): {found.missing}"
    # The closure covers every requirement pyproject.toml declares that applies here.
    declared = {canonicalize_name(Requirement(r).name) for r in
                tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
                if Requirement(r).marker is None or Requirement(r).marker.evaluate()}
    listed = {canonicalize_name(d.name) for d in found.distributions}
    assert declared <= listed, declared - listed
    text = found.text()
    for d in found.distributions:
        assert f"\n{d.name} {d.version}: {d.licence}" in text
    # What no wheel's metadata says: Qt's LGPL and how to replace it, FFmpeg and x264 inside PyAV,
    # Qualcomm's terms for the QNN libraries, the weights' licence and attribution.
    for words in ("GNU LGPL version 3", "a user may replace them", "libx264", "AI Stack License",
                  "Qualcomm_LICENSE.pdf", "DeepMind's Kinetics-400 RGB I3D", "Attribution 4.0 International",
                  "open-mmlab/mmaction2", "GNU LESSER GENERAL PUBLIC LICENSE", "Version 3, 29 June 2007"):
        assert words in text, words


def test_a_dependency_without_a_licence_text_is_reported(tmp_path, monkeypatch):
    """The guard itself: a new requirement whose wheel ships no licence text and has no EXTRA entry."""
    site = tmp_path / "site"
    for name, requires in (("rootpkg", "Requires-Dist: barepkg\n"), ("barepkg", "License: MIT\n")):
        info = site / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires}",
                                       encoding="utf-8")
        (info / "RECORD").write_text(f"{name}-1.0.dist-info/METADATA,,\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    metadata.distribution("rootpkg")  # importlib.metadata finds them
    found = notices.collect("rootpkg")
    assert found.missing == ["barepkg 1.0"]
    (site / "barepkg-1.0.dist-info" / "LICENSE").write_text("MIT License\n\nCopyright (c) someone\n", encoding="utf-8")
    (site / "barepkg-1.0.dist-info" / "RECORD").write_text("barepkg-1.0.dist-info/METADATA,,\n"
                                                          "barepkg-1.0.dist-info/LICENSE,,\n", encoding="utf-8")
    assert notices.collect("rootpkg").missing == []


def test_the_cli_prints_the_licence_and_the_notices():
    proc = subprocess.run([sys.executable, "-m", "kinetoscope", "--licences"], capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Kinetoscope ") and "Apache License, Version 2.0" in proc.stdout
    assert "PySide6" in proc.stdout and "onnxruntime" in proc.stdout and len(proc.stdout) > 200_000


def test_the_licence_texts_ship_in_the_package():
    shipped = {p.stem for p in (bundled_data.data_root() / "licences").glob("*.txt")}
    assert {"Apache-2.0", "LGPL-3.0", "GPL-3.0", "LGPL-2.1", "GPL-2.0"} <= shipped
    used = {name for extra in notices.EXTRA.values() for name in extra.texts}
    assert used <= shipped
    assert Path(REPO / "pyproject.toml").read_text(encoding="utf-8").count('"data/licences/*.txt"') == 1
