"""The window scans a whole clip with the real engine: progress, partial windows, cancel, find, seek, export.

The clip is generated (the demo renderer's motions joined end to end, so what happens when is
known) and scanned with the bundled demo model on the CPU, through the window's own engine lane.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from helpers import act_on, wait_until
from lag_probe import LAG_LIMIT_MS, LagProbe
from kinetoscope.engine.inference.scan import SegmentRule
from kinetoscope.ui.main.clip_queue import ClipState
from kinetoscope.ui.main.exporting import TIMELINE_FORMATS, resolve_choice
from kinetoscope.ui.main.scan_pane import long_clip_hint
from motion_clips import FPS, MOTIONS, joined_motions



@pytest.fixture(scope="module")
def motions_clip(tmp_path_factory) -> Path:
    """14 s: moving left until 5 s, rotating clockwise until 10 s, then moving down."""
    return joined_motions(tmp_path_factory.mktemp("window-scan") / "three_motions.mp4", width=160, height=120)


def _classified(qapp: QApplication, window, clip: Path) -> None:
    window.open_paths([clip])
    wait_until(qapp, lambda: window.queue.state(clip) is ClipState.DONE and window.runner.running is None,
               what="the classification")


def _scanned(qapp: QApplication, window) -> object:
    window.actions_.scan.trigger()
    wait_until(qapp, lambda: window.scans.running is None and window.scan_pane.result() is not None,
               what="the scan")
    return window.scan_pane.result()


def test_a_scan_streams_its_windows_reaches_100_percent_and_shows_the_motions_in_order(
        qapp: QApplication, make_window, motions_clip: Path) -> None:
    window = make_window(views=2)
    _classified(qapp, window, motions_clip)
    # Two views cover 2 s of 14: the window offers the whole-clip scan.
    assert window.clip_view.scan_hint.isVisibleTo(window)
    assert window.clip_view.scan_hint_text.text().startswith("This clip is 0:14 long; its 2 views cover 2 s of it.")

    reports: list[tuple[int, int, int]] = []  # (windows in the batch, done, total)
    shown_while_running: list[int] = []
    def on_windows(clip: Path, windows: tuple, done: int, total: int) -> None:
        reports.append((len(windows), done, total))
        if window.scans.running is not None:
            window.scan_pane.timeline.flush()
            shown_while_running.append(len(window.scan_pane.timeline.track))

    window.scans.windows_arrived.connect(on_windows)
    window.scan_pane.every_spin.setValue(0.5)  # 27 windows, overlapping
    with LagProbe() as lag:
        window.clip_view.scan_hint_button.click()  # the hint's button starts it
        assert window.actions_.cancel.isEnabled()
        assert window.clip_view.page_on_show() is window.scan_pane
        wait_until(qapp, lambda: window.scans.running is None, what="the scan")
    print(f"\n{lag.report()}")
    result = window.scan_pane.result()
    assert result is not None and result.every_s == 0.5

    total = reports[-1][2]
    assert total == len(result.windows) == 27
    assert reports[-1][1] == total and sum(n for n, _, _ in reports) == total  # 100%, every window once
    assert shown_while_running and shown_while_running[0] < total  # partial results were on screen
    assert window.scan_pane.progress.isHidden()
    timeline = window.scan_pane.timeline
    assert len(timeline.track) == total
    assert [s.label for s in result.segments] == [m for m, _, _ in MOTIONS]
    assert "27 windows, one every 0.5 s" in window.scan_pane.status.text()
    assert window.actions_.export_timeline.isEnabled()
    assert not window.actions_.cancel.isEnabled()
    assert not window.clip_view.scan_hint.isVisibleTo(window)
    assert lag.worst_busy_ms < LAG_LIMIT_MS, f"the GUI thread was busy {lag.worst_busy_ms:.0f} ms"


def test_clicking_the_timeline_seeks_the_preview_and_find_counts_the_matches(
        qapp: QApplication, make_window, motions_clip: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    result = _scanned(qapp, window)
    timeline, preview = window.scan_pane.timeline, window.clip_view.preview
    timeline.time_clicked.emit(7.5)  # what a click at 7.5 s emits (the widget's own test clicks)
    wait_until(qapp, lambda: preview.shown_time_s() is not None and abs(preview.shown_time_s() - 7.5) < 1.5 / FPS,
               what="the preview to show 7.5 s")
    assert timeline.position() == pytest.approx(7.5)  # the playhead follows the preview

    pane = window.scan_pane
    assert pane.find_combo.count() == len(result.labels)
    pane.threshold_spin.setValue(40)
    pane.find_combo.setEditText("Moving Left")  # typed in another case: the model's label is found
    expected = sum(any(p.label == "moving left" and p.prob >= 0.4 for p in w.top5) for w in result.windows)
    assert 3 <= expected < len(result.windows)
    assert timeline.match_count() == expected
    assert pane.match_label.text().startswith(f"{expected} of {len(result.windows)} windows")
    pane.find_combo.setEditText("moving l")  # a fragment naming one action: Enter finds it
    assert pane.match_label.text() == "Enter: find “moving left”"
    QTest.keyClick(pane.find_combo.lineEdit(), Qt.Key.Key_Return)
    assert pane.find_combo.currentText() == "moving left" and timeline.match_count() == expected
    pane.find_combo.setEditText("moving")  # several: nothing is guessed
    QTest.keyClick(pane.find_combo.lineEdit(), Qt.Key.Key_Return)
    assert pane.find_combo.currentText() == "moving" and pane.match_label.text().endswith("actions match: pick one")
    pane.find_combo.setEditText("juggling")
    assert timeline.match_count() == 0 and "not one of the model's actions" in pane.match_label.text()


def test_the_scan_is_offered_only_where_the_views_leave_a_long_stretch_unseen() -> None:
    def clip(duration_s: float, *spans: tuple[float, float]) -> SimpleNamespace:
        return SimpleNamespace(clip_duration_s=duration_s,
                               views=[SimpleNamespace(start_s=a, end_s=b) for a, b in spans])

    # The bundled 10-second sample's three I3D views: gaps of about 3 s, nothing to offer.
    assert long_clip_hint(clip(10.0, (0.0, 1.29), (4.32, 5.61), (8.68, 9.96)), "Ctrl+Shift+S") == ""
    # Views covering most of a clip: nothing either.
    assert long_clip_hint(clip(20.0, (0.0, 6.0), (7.0, 13.0), (14.0, 20.0)), "Ctrl+Shift+S") == ""
    hint = long_clip_hint(clip(600.0, (0.0, 1.3), (299.0, 300.3), (598.7, 600.0)), "Ctrl+Shift+S")
    assert hint.startswith("This clip is 10:00 long; its 3 views cover 4 s of it.") and "Ctrl+Shift+S" in hint
    one = long_clip_hint(clip(600.0, (0.0, 1.3)), "Ctrl+Shift+S")
    assert one.startswith("This clip is 10:00 long; its one view covers 1 s of it.")


def test_cancel_mid_scan_keeps_the_earlier_scan_and_writes_nothing(
        qapp: QApplication, make_window, motions_clip: Path, tmp_path: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    earlier = _scanned(qapp, window)
    out = tmp_path / "out"
    out.mkdir()
    window.scan_pane.every_spin.setValue(0.2)
    window.actions_.scan.trigger()
    act_on(qapp, window.scans.windows_arrived, lambda clip, windows, done, total: 0 < done < total,
           lambda: (window.scan_pane.export_timeline(out / "mid-scan.csv", ".csv"), window.actions_.cancel.trigger()),
           what="the first windows of the second scan")
    assert window.scans.running is None
    wait_until(qapp, lambda: not window.engine.busy() and not window.exporter.busy(), what="the lanes to settle")
    assert window.scan_pane.result() is earlier
    assert len(window.scan_pane.timeline.track) == len(earlier.windows)
    assert window.scan_pane.status.text().startswith("Scan cancelled. Showing the earlier scan")
    assert window.scan_pane.progress.isHidden() and window.scan_pane.cancel_button.isHidden()
    assert list(out.iterdir()) == []  # no export mid-scan, no temporary file left
    assert window.queue.state(motions_clip) is ClipState.DONE  # the classification is untouched


def test_cancelling_a_first_scan_keeps_its_windows_marked_partial(
        qapp: QApplication, make_window, motions_clip: Path, tmp_path: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    window.scan_pane.every_spin.setValue(0.2)
    window.actions_.scan.trigger()
    act_on(qapp, window.scans.windows_arrived, lambda *_: True, window.scan_pane.cancel_button.click,
           what="the first windows")
    kept = window.scan_pane.result()
    assert kept is not None and kept.partial
    assert 0 < len(kept.windows) == len(window.scan_pane.timeline.track)
    assert kept.windows[-1].end_s < kept.clip_duration_s
    assert window.scan_pane.status.text().startswith("Scan cancelled. Partial scan, cancelled at 0:0")
    assert window.scan_pane.timeline.accessibleDescription().endswith("; Partial: the scan was cancelled here")
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine to stop")
    # Shown again later, it still says partial; its export says so too.
    window.show_clip(motions_clip)
    assert window.scan_pane.status.text().startswith("Partial scan, cancelled at")
    assert window.actions_.export_timeline.isEnabled()
    window.scan_pane.export_timeline(tmp_path / "partial.json", ".json")
    wait_until(qapp, lambda: (tmp_path / "partial.json").exists() and not window.exporter.busy(), what="the export")
    assert json.loads((tmp_path / "partial.json").read_text())["partial"] is True


def test_the_timeline_exports_as_csv_json_and_srt(qapp: QApplication, make_window, motions_clip: Path,
                                                  tmp_path: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    result = _scanned(qapp, window)
    out = tmp_path / "out"
    out.mkdir()
    for suffix in (".csv", ".json", ".srt"):
        window.scan_pane.export_timeline(out / f"timeline{suffix}", suffix)
    wait_until(qapp, lambda: len(list(out.iterdir())) == 3 and not window.exporter.busy(), what="the exports")
    assert "Saved the timeline to" in window.status_text.text()

    with open(out / "timeline.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result.windows)
    assert [r["top1_label"] for r in rows] == [w.top5[0].label for w in result.windows]
    assert float(rows[-1]["end_s"]) == pytest.approx(result.windows[-1].end_s, abs=1e-3)

    data = json.loads((out / "timeline.json").read_text(encoding="utf-8"))
    assert len(data["windows"]) == len(result.windows) and len(data["windows"][0]["top5"]) == 5
    assert [s["label"] for s in data["segments"]] == [m for m, _, _ in MOTIONS]

    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\r\n(.+?) \(",
                      (out / "timeline.srt").read_bytes().decode("utf-8"))  # as written: CRLF
    assert len(cues) == len(result.segments)
    for cue, segment in zip(cues, result.segments):
        h, m, s, ms, h2, m2, s2, ms2, label = cue
        assert label == segment.label
        assert int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 == pytest.approx(segment.start_s, abs=1e-3)
        assert int(h2) * 3600 + int(m2) * 60 + int(s2) + int(ms2) / 1000 == pytest.approx(segment.end_s, abs=1e-3)


def test_the_clip_lists_results_export_with_errors_as_rows(qapp: QApplication, make_window, motions_clip: Path,
                                                           sample_clip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "clips" / "broken.mp4"
    broken.parent.mkdir()
    broken.write_bytes(bytes(range(256)) * 64)
    window = make_window(views=1)
    window.open_paths([motions_clip, broken, sample_clip])
    wait_until(qapp, lambda: window.runner.running is None and all(
        window.queue.state(c) in (ClipState.DONE, ClipState.FAILED) for c in window.queue.clips()),
        what="the whole list")
    out = tmp_path / "out"
    out.mkdir()
    window.scan_pane.export_results(out / "results.csv", ".csv")
    window.scan_pane.export_results(out / "results.json", ".json")
    wait_until(qapp, lambda: len(list(out.iterdir())) == 2 and not window.exporter.busy(), what="the exports")

    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [Path(r["clip"]) for r in rows] == window.queue.clips()
    by_name = {Path(r["clip"]).name: r for r in rows}
    assert by_name["broken.mp4"]["error"] and not by_name["broken.mp4"]["top1_label"]
    assert by_name[sample_clip.name]["top1_label"] == "rotating clockwise"
    assert by_name[motions_clip.name]["error"] == "" and by_name[motions_clip.name]["model"] == "motion_demo"
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [Path(d["clip"]).name for d in data] == [c.name for c in window.queue.clips()]
    assert "error" in data[1] and len(data[0]["top5"]) == 5


def test_a_failed_export_says_why_in_the_banner_and_writes_nothing(qapp: QApplication, make_window,
                                                                   motions_clip: Path, tmp_path: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    _scanned(qapp, window)
    target = tmp_path / "no such folder" / "timeline.json"
    window.scan_pane.export_timeline(target, ".json")
    wait_until(qapp, lambda: window.errors.isVisible(), what="the error banner")
    assert window.errors.message.startswith("Could not save the timeline to timeline.json.")
    assert "does not exist" in window.errors.message
    assert not target.parent.exists()


def test_the_save_dialogs_answer_picks_the_format_by_suffix_or_filter() -> None:
    csv_filter, json_filter, srt_filter = (f.filter for f in TIMELINE_FORMATS)
    assert resolve_choice("/x/match.SRT", csv_filter, TIMELINE_FORMATS) == (Path("/x/match.SRT"), ".srt")
    assert resolve_choice("/x/match", json_filter, TIMELINE_FORMATS) == (Path("/x/match.json"), ".json")
    assert resolve_choice("/x/match.v2", srt_filter, TIMELINE_FORMATS) == (Path("/x/match.v2.srt"), ".srt")


def test_scanning_a_broken_clip_says_so_in_the_banner(qapp: QApplication, make_window, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    window = make_window(views=1)
    window.open_paths([broken])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED, what="the classification to fail")
    window.errors.dismiss()
    window.actions_.scan.trigger()
    wait_until(qapp, lambda: window.scans.running is None and window.errors.isVisible(), what="the scan to fail")
    assert window.errors.message.startswith("Could not scan broken.mp4.")
    assert window.scan_pane.status.text().startswith("The scan failed:")
    assert len(window.scan_pane.timeline.track) == 0 and window.scan_pane.result() is None
    assert not window.actions_.cancel.isEnabled()


def test_the_segment_rule_redraws_the_segments_at_once_exports_them_and_survives_a_restart(
        qapp: QApplication, make_window, motions_clip: Path, tmp_path: Path) -> None:
    window = make_window(views=1)
    _classified(qapp, window, motions_clip)
    result = _scanned(qapp, window)
    pane = window.scan_pane
    assert [s.label for s in result.segments] == [m for m, _, _ in MOTIONS]  # by the default rule
    assert pane.rule_row.count_label.text() == "3 segments"
    assert pane.timeline.accessibleDescription().endswith("; 3 segments")

    # A threshold at the strongest segment's mean (in whole percent) keeps it and drops the weaker.
    percent = int(max(s.prob for s in result.segments) * 100)
    kept = [s.label for s in result.segments if s.prob * 100 >= percent]
    assert 1 <= len(kept) < len(result.segments)
    pane.rule_row.threshold_spin.setValue(percent)  # no scan: the page is redrawn at once
    assert window.scans.running is None
    redrawn = pane.result()
    assert redrawn.windows == result.windows and redrawn.rule.threshold == pytest.approx(percent / 100)
    assert [s.label for s in redrawn.segments] == kept
    n = f"{len(kept)} segment{'s' if len(kept) != 1 else ''}"
    assert pane.rule_row.count_label.text() == n
    assert pane.timeline.accessibleDescription().endswith(f"; {len(kept)} segments")
    assert f"· {n} ·" in pane.status.text()
    assert window.status_text.text() == f"Segments by mean probability ≥ {percent} %, smoothed over 3 windows, " \
                                        f"at least 1 window: {n}."
    pane.rule_row.threshold_spin.setValue(100)
    assert pane.rule_row.count_label.text().startswith("no segment")
    pane.rule_row.threshold_spin.setValue(percent)
    pane.rule_row.min_windows_spin.setValue(2)  # the clip's motions last several windows each: all stay

    out = tmp_path / "out"
    out.mkdir()
    window.scan_pane.export_timeline(out / "timeline.json", ".json")
    window.scan_pane.export_timeline(out / "timeline.srt", ".srt")
    wait_until(qapp, lambda: len(list(out.iterdir())) == 2 and not window.exporter.busy(), what="the exports")
    data = json.loads((out / "timeline.json").read_text(encoding="utf-8"))
    assert [s["label"] for s in data["segments"]] == kept
    assert data["rule"] == {"threshold": percent / 100, "smoothing": 3, "min_windows": 2}
    assert len(re.findall(r" --> ", (out / "timeline.srt").read_text(encoding="utf-8"))) == len(kept)
    window.close()

    again = make_window(views=1)  # the same settings store: the rule is the one chosen
    row = again.scan_pane.rule_row
    assert (row.threshold_spin.value(), row.smoothing_spin.value(), row.min_windows_spin.value()) == (percent, 3, 2)
    _classified(qapp, again, motions_clip)
    rescanned = _scanned(qapp, again)  # a new scan merges by it too
    assert rescanned.rule == SegmentRule(percent / 100, 3, 2)
    assert [s.label for s in rescanned.segments] == kept
