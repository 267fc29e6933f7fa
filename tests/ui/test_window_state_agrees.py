"""What the window says about a clip agrees with itself: one record per clip, one rule for what shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from helpers import act_on, wait_until
from helpers import wait_idle as _idle
from locations import SAMPLES
from kinetoscope.ui.main.clip_queue import ClipState
from kinetoscope.words import span_text


def _clips(count: int) -> list[Path]:
    return sorted(p.resolve() for p in SAMPLES.glob("*.mp4"))[:count]


def _change_views(window, views: int) -> None:  # noqa: ANN001
    o = window.controls.options()
    window.controls.apply(o.model_id, o.precision, o.device, views)
    window.controls.options_changed.emit()


def test_right_clicking_a_clip_shows_it_so_the_menu_acts_on_the_clip_on_show(qapp: QApplication,
                                                                              make_window) -> None:
    window = make_window(views=2)
    first, second = _clips(2)
    window.open_paths([first, second])
    _idle(qapp, window)
    queue = window.queue
    where = queue.visualRect(queue.model().index(1)).center()
    QTest.mouseClick(queue.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, where)
    assert window.current_clip == second and window.windowTitle().startswith(second.name)
    assert queue.selected_clips() == [second]
    window.actions_.remove_clips.trigger()  # what the right-click menu's item does
    assert queue.clips() == [first] and window.current_clip == first


def test_picking_a_clip_keeps_its_result_with_other_options_on_show_as_a_settings_change_does(
        qapp: QApplication, make_window) -> None:
    window = make_window(views=2)
    first, second = _clips(2)
    window.open_paths([first, second])
    _idle(qapp, window)
    _change_views(window, 3)  # `first` is on show: it runs again with 3 views
    _idle(qapp, window)
    assert window.clip_view.timeline.view_count() == 3

    window.show_clip(second)  # made with 2 views only: that result stays until the 3-view one is done
    note = window.clip_view.note_text()
    assert window.clip_view.timeline.view_count() == 2 and window.clip_view.predictions.title() == "Whole clip"
    assert "2 views" in note and "3 views" in note
    name = window.controls.model_combo.currentText()
    assert name in note and f"{window.controls.options().model_id} (" not in note  # the name, not the id
    wait_until(qapp, lambda: window.queue.state(second) is ClipState.DONE and window.runner.running is None,
               what="the re-run")
    assert window.clip_view.timeline.view_count() == 3 and window.clip_view.note_text() == ""


def test_a_views_span_reads_the_same_in_the_timeline_and_the_frame_strip(qapp: QApplication, make_window,
                                                                          sample_clip: Path) -> None:
    window = make_window(views=3)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the classification")
    result = window.clips.get(sample_clip).row_result
    for view in result.views:
        span = span_text(view.start_s, view.end_s)
        assert span in window.clip_view.timeline._summary(view.index)
        assert window.clip_view.frame_strip._views[view.index].span() == (view.start_s, view.end_s)


def test_the_latency_graph_counts_whole_views_and_forgets_runs_with_the_clip_list(
        qapp: QApplication, make_window, sample_clip: Path) -> None:
    window = make_window(views=3)
    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip) is ClipState.DONE, what="the classification")
    axis = window.graphs._latency_plot.getPlotItem().getAxis("bottom")
    ticks = [v for _spacing, values in axis.tickValues(1.0, 3.0, 200.0) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)  # never "1.5 views"
    name = window.controls.model_combo.currentText()
    figures = window.graphs._latency_text
    wait_until(qapp, lambda: name in figures.toolTip() and "on CPU" in figures.text(), timeout_s=5,
               what="the figures to name the run")  # by its model's name, not its id
    window.clear_clips()
    assert figures.toolTip() == "" and "CPU" not in figures.text()  # no figures about clips that are gone


def test_after_cancel_no_view_still_says_it_is_being_read_or_pending(qapp: QApplication, make_window,
                                                                     sample_clip: Path) -> None:
    window = make_window(views=8)
    window.open_paths([sample_clip])
    act_on(qapp, window.runner.view_ready, lambda clip, view, *_: view.index == 1, window.cancel,
           what="a second view")
    _idle(qapp, window)
    view = window.clip_view
    assert window.queue.state(sample_clip) is ClipState.CANCELLED
    assert view.frame_strip.active_view() is None  # no "reading…"/"inferring…" row is left
    assert view.timeline._summary(7) == "View 8 · cancelled" and view.frame_strip.not_yet == "cancelled"
    window.rerun()  # a new run's views wait again
    _idle(qapp, window)
    assert view.timeline.not_yet == "pending" and view.frame_strip.not_yet == "not read yet"


def test_a_failed_scan_says_so_in_the_status_and_the_timeline_and_scan_waits_while_one_runs(
        qapp: QApplication, make_window, tmp_path: Path) -> None:
    window = make_window(views=2)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    window.open_paths([broken])
    _idle(qapp, window)
    window.actions_.scan.trigger()  # Run ▸ Scan Whole Clip
    assert not window.actions_.scan.isEnabled() and not window.scan_pane.scan_button.isEnabled()
    wait_until(qapp, lambda: window.scans.running is None, what="the scan to fail")
    status = window.scan_pane.status.text()
    assert status.startswith("The scan failed")
    assert window.scan_pane.timeline._placeholder == status  # not "Not scanned yet"
    assert window.actions_.scan.isEnabled() and window.scan_pane.scan_button.isEnabled()  # to try again


def test_a_large_model_on_the_npu_simulator_asks_first(qapp: QApplication, make_window, monkeypatch,
                                                       sample_clip: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from helpers import pick
    from kinetoscope.engine.inference.devices import npu_status

    if not (npu_status().available and npu_status().simulated):
        pytest.skip(f"no NPU simulator here: {npu_status().reason}")
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, title, text, *_a: asked.append(text)
                        or QMessageBox.StandardButton.No)
    window = make_window(views=1)
    window.open_paths([sample_clip])
    _idle(qapp, window)
    wait_until(qapp, window.controls.npu_is_simulated, what="the device check")
    pick(window.controls.model_combo, "i3d_kinetics")
    pick(window.controls.device_combo, "npu")
    wait_until(qapp, lambda: asked, timeout_s=10, what="the question")
    assert "several minutes" in asked[0] and "I3D" in asked[0]
    _idle(qapp, window)
    assert window.controls.options().device == "cpu" and window.settings.device == "cpu"  # said no: the CPU
    record = window.clips.get(sample_clip.resolve())
    assert record.results and not any(o.device == "npu" for o in record.results)  # nothing ran on the NPU
    pick(window.controls.device_combo, "npu")  # asked again: a "no" is not remembered
    wait_until(qapp, lambda: len(asked) == 2, timeout_s=10, what="the question again")
    _idle(qapp, window)
