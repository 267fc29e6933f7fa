"""Scan and batch exports, read back with the standard parsers; nothing half-written, ever."""

from __future__ import annotations

import csv
import json
import os
import re
import stat
from pathlib import Path

import pytest

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled
from kinetoscope.engine.files import CannotWrite, atomic_text_file
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.exports import (srt_time, write_results_csv, write_results_json, write_scan_csv,
                                                  write_scan_json, write_srt)
from kinetoscope.engine.inference.results import ClipFailure
from kinetoscope.engine.inference.scan import ScanResult
from motion_clips import joined_motions


@pytest.fixture(scope="module")
def demo() -> VideoClassifier:
    return VideoClassifier.open("motion_demo", "cpu")


@pytest.fixture(scope="module")
def two_motions(tmp_path_factory) -> Path:
    return joined_motions(tmp_path_factory.mktemp("exports") / "two_motions.mp4", count=2, width=160, height=120)


@pytest.fixture(scope="module")
def scanned(demo, two_motions) -> ScanResult:
    result = demo.scan(two_motions)
    assert len(result.segments) >= 2
    return result


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_scan_json_has_the_contract(scanned, tmp_path):
    path = write_scan_json(scanned, tmp_path / "scan.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {"clip", "windows", "segments", "model", "device", "timings_ms", "every_s", "rule",
            "clip_duration_s"} <= set(data)
    assert len(data["windows"]) == len(scanned.windows)
    w0 = data["windows"][0]
    assert set(w0) == {"start_s", "end_s", "top5"} and len(w0["top5"]) == 5
    assert set(w0["top5"][0]) == {"label", "index", "prob"}
    assert [(s["label"], s["start_s"], s["end_s"]) for s in data["segments"]] == [
        (s.label, round(s.start_s, 4), round(s.end_s, 4)) for s in scanned.segments]
    assert data["model"]["id"] == "motion_demo" and data["device"]["used"] == "cpu"
    assert data["rule"] == {"threshold": 0.25, "smoothing": 3, "min_windows": 1}
    assert _leftovers(tmp_path) == []


def test_scan_csv_has_a_row_per_window(scanned, tmp_path):
    path = write_scan_csv(scanned, tmp_path / "scan.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(scanned.windows)
    assert list(rows[0])[:4] == ["start_s", "end_s", "top1_label", "top1_prob"] and "top5_prob" in rows[0]
    for row, w in zip(rows, scanned.windows):
        assert float(row["start_s"]) == pytest.approx(w.start_s, abs=5e-4)
        assert float(row["end_s"]) == pytest.approx(w.end_s, abs=5e-4)
        assert row["top1_label"] == w.top5[0].label
        assert float(row["top1_prob"]) == pytest.approx(w.top5[0].prob, abs=1e-6)
        assert row["top5_label"] == w.top5[4].label


_CUE = re.compile(r"(\d+)\r\n(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\r\n(.+?) \((\d+) %\)\r\n\r\n")


def test_srt_cues_match_the_segments_to_the_millisecond(scanned, tmp_path):
    text = write_srt(scanned, tmp_path / "scan.srt").read_bytes().decode("utf-8")
    cues = _CUE.findall(text)
    assert "".join(m.group(0) for m in _CUE.finditer(text)) == text  # nothing but well-formed cues
    assert len(cues) == len(scanned.segments)
    for n, (cue, seg) in enumerate(zip(cues, scanned.segments), 1):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, cue[1:9])
        assert int(cue[0]) == n
        assert (h1 * 3600 + m1 * 60 + s1) * 1000 + ms1 == round(seg.start_s * 1000)
        assert (h2 * 3600 + m2 * 60 + s2) * 1000 + ms2 == round(seg.end_s * 1000)
        assert cue[9] == seg.label and int(cue[10]) == round(seg.prob * 100)


def test_srt_time_format():
    assert srt_time(0) == "00:00:00,000"
    assert srt_time(3723.4567) == "01:02:03,457"
    assert srt_time(59.9996) == "00:01:00,000"


def test_batch_results_read_back(demo, scanned, two_motions, tmp_path):
    rows = [demo.classify(two_motions, views=2), ClipFailure(tmp_path / "broken.mp4", "This file is not a video.")]
    with open(write_results_csv(rows, tmp_path / "r.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["clip"] for r in table] == [str(two_motions), str(tmp_path / "broken.mp4")]
    assert table[0]["top1_label"] == rows[0].top5[0].label and table[0]["error"] == ""
    assert table[0]["model"] == "motion_demo" and table[0]["device"] == "CPU"
    assert table[1]["error"] == "This file is not a video." and table[1]["top1_label"] == ""
    data = json.loads(write_results_json(rows, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data[0]["top5"][0]["label"] == rows[0].top5[0].label
    assert data[1] == {"clip": str(tmp_path / "broken.mp4"), "error": "This file is not a video."}


def test_cancel_mid_scan_leaves_no_export_file(demo, two_motions, tmp_path):
    target = tmp_path / "timeline.csv"
    token = CancelToken()

    def export() -> None:
        result = demo.scan(two_motions, cancel=token, on_window=lambda w: token.cancel() if w.index == 2 else None)
        write_scan_csv(result, target)

    with pytest.raises(Cancelled):
        export()
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(Cancelled):
        with atomic_text_file(target) as out:
            out.write("half a ta")
            raise Cancelled()
    assert target.read_text() == "old\n" and _leftovers(tmp_path) == []


def test_unwritable_places_are_one_readable_sentence(scanned, tmp_path):
    with pytest.raises(CannotWrite, match="does not exist"):
        write_srt(scanned, tmp_path / "no" / "such" / "folder.srt")
    (tmp_path / "taken").mkdir()
    with pytest.raises(CannotWrite, match="is a folder"):
        write_scan_json(scanned, tmp_path / "taken")
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_saved_file_gets_the_mode_of_any_new_file_not_a_private_one(tmp_path):
    # The temporary file it is written through is private (0600); the saved file is a document.
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "new.csv"
        with atomic_text_file(fresh) as out:
            out.write("a,b\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.srt"
        kept.write_text("old\n")
        kept.chmod(0o640)
        with atomic_text_file(kept) as out:
            out.write("new\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)
