"""What `pip install kinetoscope` gives a user: the wheel built from the sdist of a bare checkout
(the files a fresh clone has: no `make models`, so setup.py's hook builds the I3D zips), installed
into a clean venv outside the repo and run from another folder. An editable install hides missing
package data; this does not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from locations import DATA, REPO

pytestmark = pytest.mark.slow


def bare_checkout(target: Path) -> Path:
    """The repository's files as a clone has them (tracked, or new and not ignored): without the
    built I3D zips, which .gitignore names, and without .venv or build folders."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not list((target / "app" / "kinetoscope" / "data" / "models").glob("i3d_kinetics-*.zip"))
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """Build the sdist of a bare checkout and, from it, the wheel; install the wheel into a fresh venv."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    checkout = bare_checkout(root / "checkout")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(checkout)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "building the bundled Kinetics-400 model" in built.stdout  # the hook ran: the checkout had no zips
    wheel = next(dist.glob("kinetoscope-*.whl"))
    sdist = next(dist.glob("kinetoscope-*.tar.gz"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=900)
    workdir = root / "elsewhere"
    workdir.mkdir()
    return {"wheel": wheel, "sdist": sdist, "venv": venv, "cwd": workdir, "home": root / "home"}


def run(installed: dict[str, Path], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["KINETOSCOPE_HOME"] = str(installed["home"])
    return subprocess.run([str(installed["venv"] / "bin" / args[0]), *args[1:]], capture_output=True,
                          text=True, timeout=timeout, cwd=installed["cwd"], env=env)


def test_the_wheel_carries_every_bundled_file(installed):
    shipped = {p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file()}
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert {f"kinetoscope/data/{name}" for name in shipped} <= names
    assert not [n for n in names if n.startswith(("tests/", "models/")) or n.endswith((".part", ".lock"))]


def test_the_package_runs_from_the_venv_not_the_checkout(installed):
    proc = run(installed, "python", "-c",
               "import kinetoscope; from kinetoscope.engine.modelfiles import bundled_data; "
               "print(kinetoscope.__file__); print(bundled_data.data_root())")
    assert proc.returncode == 0, proc.stderr
    module, data = (Path(line) for line in proc.stdout.split())
    assert installed["venv"] in module.parents and installed["venv"] in data.parents


def test_version(installed):
    proc = run(installed, "python", "-m", "kinetoscope", "--version")
    assert proc.returncode == 0 and proc.stdout.strip().startswith("kinetoscope ")


def test_self_test_passes(installed):
    proc = run(installed, "kinetoscope", "--self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installed package" in proc.stdout and "Self-test passed" in proc.stdout


def test_models_list_shows_the_catalog_and_the_bundled_models(installed):
    proc = run(installed, "kinetoscope", "models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["models"]
    bundled = {(r["id"], r["precision"]) for r in rows if r["status"] == "bundled"}
    assert {("motion_demo", "float"), ("motion_demo", "w8a8"), ("i3d_kinetics", "float"), ("i3d_kinetics", "w8a8")} <= bundled
    assert {"resnet_2plus1d", "resnet_mixed", "resnet_3d"} <= {r["id"] for r in rows}


def test_classify_a_bundled_sample_with_the_default_model(installed):
    where = run(installed, "python", "-c",
                "from kinetoscope.engine.modelfiles import bundled_data; print(bundled_data.samples_dir())")
    samples = Path(where.stdout.strip())
    clip = samples / "sample_arm_wrestling.mp4"
    proc = run(installed, "kinetoscope", "classify", str(clip), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["model"]["id"] == "i3d_kinetics" and result["top5"][0]["label"] == "arm wrestling"
    assert result["device"]["used"] == "cpu"
    assert installed["venv"] in Path(result["model"]["path"]).parents
