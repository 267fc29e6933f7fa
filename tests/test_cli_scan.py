"""`kinetoscope scan` and `kinetoscope classify` over many clips, end to end in subprocesses."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from locations import SAMPLES
from motion_clips import joined_motions
from test_cli import run_cli


@pytest.fixture(scope="module")
def motions(tmp_path_factory) -> Path:
    """Moving left until 5 s, then rotating clockwise until 10 s (small, for speed)."""
    return joined_motions(tmp_path_factory.mktemp("cli_scan") / "motions.mp4", count=2, width=160, height=120)


@pytest.fixture
def clip_folder(tmp_path) -> Path:
    """Two good clips (one in a subfolder), a broken one and a text file."""
    folder = tmp_path / "clips"
    (folder / "more").mkdir(parents=True)
    (folder / "a_good.mp4").write_bytes((SAMPLES / "sample_moving_left.mp4").read_bytes())
    (folder / "more" / "c_good.mov").write_bytes((SAMPLES / "sample_growing.mp4").read_bytes())
    (folder / "b_broken.mp4").write_bytes(b"\x00not a video" * 500)
    (folder / "notes.txt").write_text("not a clip")
    return folder


def test_scan_lists_the_segments_in_order(motions):
    proc = run_cli("scan", str(motions), "--model", "motion_demo")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    seg_lines = lines[lines.index("Segments") + 1:]
    assert "moving left" in seg_lines[0] and "rotating clockwise" in seg_lines[1]
    assert seg_lines[0].split()[0] == "0:00.0"
    assert "2 segments covering 0:10.0 of 0:10.0" in proc.stdout
    assert proc.stderr == ""  # no progress line when stderr is not a terminal


def test_scan_json_is_one_object(motions):
    proc = run_cli("scan", str(motions), "--model", "motion_demo", "--json", "--every", "0.5", "--smoothing", "1")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"windows", "segments", "model", "device", "timings_ms"} <= set(data)
    assert data["every_s"] == 0.5 and data["rule"]["smoothing"] == 1
    starts = [w["start_s"] for w in data["windows"]]
    assert starts[:3] == pytest.approx([0.0, 0.5, 1.0], abs=0.034)
    assert [s["label"] for s in data["segments"]][:1] == ["moving left"]
    assert data["timings_ms"]["inference"] > 0


def test_scan_writes_srt_and_csv(motions, tmp_path):
    srt, table = tmp_path / "motions.srt", tmp_path / "motions.csv"
    proc = run_cli("scan", str(motions), "--model", "motion_demo", "--srt", str(srt))
    assert proc.returncode == 0, proc.stderr
    assert str(srt) in proc.stdout
    assert srt.read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> 00:00:0")
    proc = run_cli("scan", str(motions), "--model", "motion_demo", "--csv", str(table))
    assert proc.returncode == 0, proc.stderr
    with open(table, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10 and rows[0]["top1_label"] == "moving left"


def test_a_high_threshold_leaves_no_segment(motions):
    proc = run_cli("scan", str(motions), "--model", "motion_demo", "--threshold", "0.999")
    assert proc.returncode == 0, proc.stderr
    assert "none above the threshold" in proc.stdout


def test_scan_of_a_broken_clip_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 4000)
    proc = run_cli("scan", str(bad), "--model", "motion_demo", "--srt", str(tmp_path / "x.srt"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().startswith("kinetoscope: ") and "broken.mp4" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_ctrl_c_mid_scan_exits_130_and_writes_nothing(motions, tmp_path, kinetoscope_home):
    target = tmp_path / "out" / "timeline.csv"
    target.parent.mkdir()
    code = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "scan", str(motions), "--model", "motion_demo",
                             "--every", "0.05", "--csv", str(target)], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = kinetoscope_home / "logs" / "kinetoscope.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "scanning motions.mp4" in log.read_text(encoding="utf-8")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert list(target.parent.iterdir()) == []
    assert "Traceback" not in err


def test_batch_classify_goes_on_past_a_broken_clip(clip_folder, tmp_path, kinetoscope_home):
    table = tmp_path / "results.csv"
    proc = run_cli("classify", str(clip_folder), "--model", "motion_demo", "--views", "2", "--jsonl",
                   "--csv", str(table))
    assert proc.returncode == 2, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [Path(r["clip"]).name for r in rows] == ["a_good.mp4", "b_broken.mp4", "c_good.mov"]
    assert "error" in rows[1] and set(rows[1]) == {"clip", "error"}
    assert [rows[0]["top5"][0]["label"], rows[2]["top5"][0]["label"]] == ["moving left", "growing"]
    assert "error" not in rows[0]
    # One model load for the whole run: its time is in the first clip's timings only.
    assert rows[0]["timings_ms"]["load"] > 0 and rows[2]["timings_ms"]["load"] == 0
    log = (kinetoscope_home / "logs" / "kinetoscope.log").read_text(encoding="utf-8")
    assert log.count("session for motion_demo") == 1
    err = proc.stderr.strip().splitlines()
    assert err[0].startswith("kinetoscope: ") and "b_broken.mp4" in err[0]
    assert f"Wrote 3 clips to {table} (1 failed)" in proc.stderr
    with open(table, newline="", encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert [Path(r["clip"]).name for r in read] == ["a_good.mp4", "b_broken.mp4", "c_good.mov"]
    assert read[0]["top1_label"] == "moving left" and read[0]["error"] == ""
    assert read[1]["error"] == rows[1]["error"] and read[1]["top1_label"] == ""


def test_batch_of_good_clips_and_files_exits_0_with_a_line_each(clip_folder):
    proc = run_cli("classify", str(clip_folder / "a_good.mp4"), str(SAMPLES / "sample_growing.mp4"),
                   "--model", "motion_demo", "--views", "1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and "moving left" in lines[0] and "growing" in lines[1]


def test_batch_names_a_missing_clip_and_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_cli("classify", str(tmp_path / "nope.mp4"), str(SAMPLES / "sample_moving_left.mp4"), "--model", "motion_demo",
                   "--views", "1", "--json")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert "does not exist" in data[0]["error"] and data[1]["top5"][0]["label"] == "moving left"
    proc = run_cli("classify", str(tmp_path / "empty"), "--model", "motion_demo")
    assert proc.returncode == 2 and "no video files" in proc.stderr
