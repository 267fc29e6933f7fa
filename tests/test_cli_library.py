"""`kinetoscope library` end to end in subprocesses: add, index, search, status, remove; a kill -9
and a Ctrl+C mid-file; a second command while one indexes; the Kinetics-400 model finding arm
wrestling in a compilation."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from library_clips import compilation, copy_into
from test_cli import run_cli

REAL = ("arm_wrestling_340x256_28fps.mp4", "clip_340x256_30fps.mp4", "clip_426x240_29.97fps.mp4")


@pytest.fixture(scope="module")
def long_clip(media, tmp_path_factory) -> Path:
    """About a minute: three real clips, twice over."""
    return compilation(tmp_path_factory.mktemp("cli_library") / "long.mp4", [media / c for c in REAL], times=2)


@pytest.fixture
def folder(tmp_path, media, long_clip) -> Path:
    """a.mp4 (10 s), b_long.mp4 (about 60 s), c.mp4 (10 s): b is where the kill lands."""
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy2(media / REAL[0], folder / "a.mp4")
    shutil.copy2(long_clip, folder / "b_long.mp4")
    shutil.copy2(media / REAL[1], folder / "c.mp4")
    return folder


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "library.sqlite")


def _scans(home: Path) -> dict[str, tuple[int, float]]:
    db = _db(home)
    try:
        return {Path(p).name: (i, t) for p, i, t in db.execute(
            "SELECT f.path, s.id, s.scanned_at FROM scans s JOIN files f ON f.id = s.file_id")}
    finally:
        db.close()


def _start_index(*extra: str) -> subprocess.Popen:
    code = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "library", "index", "--model", "motion_demo", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def test_add_index_search_status_remove(folder, kinetoscope_home):
    (folder / "broken.mp4").write_bytes(b"\x00not a video" * 500)
    proc = run_cli("library", "add", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert f"Added {folder}" in proc.stdout
    proc = run_cli("library", "index", "--model", "motion_demo")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [Path(line.split("\t")[0]).name for line in lines[:-1]] == ["broken.mp4", "a.mp4", "b_long.mp4", "c.mp4"]
    assert "cannot be read: This file is not a video" in lines[0]
    assert lines[-1].startswith("Library: 4 new. Indexed 3 files (1:") and "1 cannot be read" in lines[-1]
    # Again: nothing new, and the unreadable file is not reported a second time.
    proc = run_cli("library", "index", "--model", "motion_demo")
    assert proc.stdout.splitlines() == ["Library: no changes. Indexed 0 files (0:00.0 of video) with Motion demo in "
                                        + proc.stdout.split(" in ")[-1].strip()]
    proc = run_cli("library", "status", "--json")
    status = json.loads(proc.stdout)
    assert status["files"] == 4 and status["models"][0]["id"] == "motion_demo" and status["models"][0]["files"] == 3
    assert status["unreadable"] == [{"path": str(folder / "broken.mp4"),
                                     "reason": "This file is not a video Kinetoscope can read: broken.mp4."}]
    text = run_cli("library", "status").stdout
    assert "4 files" in text and "1 cannot be read" in text

    proc = run_cli("library", "search", "rotating", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["files"]
    assert found and all(s["label"].startswith("rotating") for f in found for s in f["segments"])
    best = [f["best"] for f in found]
    assert best == sorted(best, reverse=True)
    proc = run_cli("library", "search", "rotating", "--min", "0.4", "--csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert rows and all(float(r["prob"]) >= 0.4 and r["model"] == "motion_demo" for r in rows)
    assert len(rows) < sum(len(f["segments"]) for f in found)
    text = run_cli("library", "search", "rotating", "--min", "0.4").stdout
    assert "[Motion demo]" in text and " – " in text
    assert "Nothing found for 'juggling'" in run_cli("library", "search", "juggling").stdout

    proc = run_cli("library", "remove", str(folder))
    assert proc.returncode == 0 and "and its 4 files" in proc.stdout
    assert json.loads(run_cli("library", "status", "--json").stdout)["files"] == 0


def _wait_for_line(proc: subprocess.Popen, timeout: float = 120) -> str:
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    return line


def test_kill_9_mid_file_loses_only_that_file(folder, kinetoscope_home):
    assert run_cli("library", "add", str(folder)).returncode == 0
    proc = _start_index()
    first = _wait_for_line(proc)
    assert first.startswith(str(folder / "a.mp4"))
    # a's line is printed once a is committed, and b's windows are only written when its whole scan
    # is done, so killing now lands inside b on any machine (a fast one scans b in under a second).
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    before = _scans(kinetoscope_home)
    assert set(before) == {"a.mp4"}          # a committed, b interrupted, c not started
    db = _db(kinetoscope_home)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    done = run_cli("library", "index", "--model", "motion_demo")
    assert done.returncode == 0, done.stderr
    assert [Path(line.split("\t")[0]).name for line in done.stdout.splitlines()[:-1]] == ["b_long.mp4", "c.mp4"]
    after = _scans(kinetoscope_home)
    assert after["a.mp4"] == before["a.mp4"]   # the committed scan untouched
    assert set(after) == {"a.mp4", "b_long.mp4", "c.mp4"}


def test_ctrl_c_stops_and_the_next_run_goes_on(folder, kinetoscope_home):
    assert run_cli("library", "add", str(folder)).returncode == 0
    proc = _start_index()
    _wait_for_line(proc)
    proc.send_signal(signal.SIGINT)            # inside b, as in the kill -9 test
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "stopped; the files indexed so far are kept" in err
    assert set(_scans(kinetoscope_home)) == {"a.mp4"}
    done = run_cli("library", "index", "--model", "motion_demo")
    assert done.returncode == 0 and set(_scans(kinetoscope_home)) == {"a.mp4", "b_long.mp4", "c.mp4"}


def test_search_and_status_while_another_command_indexes(folder, kinetoscope_home):
    assert run_cli("library", "add", str(folder)).returncode == 0
    proc = _start_index()
    try:
        _wait_for_line(proc)
        # Held still mid-run (its lock taken, a's scan committed) so that the other commands surely
        # run while it indexes, however fast the machine.
        os.kill(proc.pid, signal.SIGSTOP)
        second = run_cli("library", "index", "--model", "motion_demo")
        assert second.returncode == 1 and "is indexing this library now" in second.stderr
        search = run_cli("library", "search", "rotating", "--json")
        assert search.returncode == 0, search.stderr
        status = run_cli("library", "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["models"][0]["files"] >= 1
        assert proc.poll() is None
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.wait(180)
    assert proc.returncode == 0


def test_a_damaged_database_is_rebuilt_with_one_sentence(folder, kinetoscope_home):
    assert run_cli("library", "add", str(folder)).returncode == 0
    (kinetoscope_home / "library.sqlite").write_bytes(b"garbage" * 1000)
    proc = run_cli("library", "status")
    assert proc.returncode == 0
    assert proc.stderr.count("\n") == 1 and "could not be read, so it was set aside" in proc.stderr
    assert str(folder) in proc.stdout


@pytest.mark.slow
def test_kinetics_model_finds_arm_wrestling_in_a_compilation(tmp_path, media, kinetoscope_home):
    folder = tmp_path / "videos"
    compilation(folder / "mixed.mp4", [media / REAL[1], media / REAL[0]], width=340, height=256)
    copy_into(folder, [media / REAL[2]])
    assert run_cli("library", "add", str(folder)).returncode == 0
    proc = run_cli("library", "index", "--model", "i3d_kinetics", "--precision", "float", timeout=900)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(run_cli("library", "search", "Arm Wrestling", "--min", "0.3", "--json").stdout)["files"]
    assert [Path(f["path"]).name for f in found] == ["mixed.mp4"]
    seg = found[0]["segments"][0]
    assert seg["label"] == "arm wrestling" and seg["model"] == "i3d_kinetics"
    assert seg["start_s"] >= 8.0          # the arm wrestling is the second clip of the two (10 s each)
