"""The window's commands and words: Run Again needs a clip, titles name the clip once, axis labels fit,
Open Recent and Open Log Folder, and the benchmark window's wording and model."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from helpers import wait_until


def test_run_again_needs_a_clip(qapp: QApplication, make_window, sample_clip) -> None:
    window = make_window(views=1)
    assert not window.actions_.rerun.isEnabled()
    window.open_paths([sample_clip])
    assert window.actions_.rerun.isEnabled()
    window.clear_clips()
    assert not window.actions_.rerun.isEnabled()
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_window_titles_do_not_repeat_the_app_name(qapp: QApplication, make_window, sample_clip) -> None:
    # Qt appends the display name ("Models — Kinetoscope") on Linux and Windows; a title that
    # names the app as well reads "Kinetoscope — Models — Kinetoscope".
    window = make_window(views=1)
    window.actions_.models.trigger()
    window.actions_.benchmark.trigger()
    window.actions_.camera.trigger()
    window.open_paths([sample_clip])
    tools = window.tools
    for title in (window.windowTitle(), tools.models.window().windowTitle(), tools.benchmark.windowTitle(),
                  tools.camera.windowTitle()):
        assert "Kinetoscope" not in title, title
    window.clear_clips()
    assert window.windowTitle() == "Kinetoscope"  # the display name itself is not appended twice
    tools.camera.close()
    tools.benchmark.close()
    tools.models.window().close()
    wait_until(qapp, lambda: not window.engine.busy(), what="the engine")


def test_graph_axis_labels_fit(qapp: QApplication, make_window) -> None:
    window = make_window(views=1)
    window.resize(1360, 860)  # the size a walkthrough saw "Memory (MB" at
    qapp.processEvents()
    for plot in (window.graphs._latency_plot, window.graphs._memory_plot):
        axis = plot.getPlotItem().getAxis("left")
        label = axis.label  # drawn rotated: its width runs along the axis's height
        assert label.boundingRect().width() <= axis.geometry().height(), label.toPlainText()


def test_open_recent_offers_only_clips_that_opened(qapp: QApplication, make_window, sample_clip, tmp_path) -> None:
    from kinetoscope.ui.main.clip_queue import ClipState

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    window = make_window(views=1)
    window.open_paths([broken, sample_clip])
    wait_until(qapp, lambda: window.queue.state(broken) is ClipState.FAILED
               and window.queue.state(sample_clip) is ClipState.DONE, what="both clips")
    recent = window.store.load().recent_files
    assert str(sample_clip) in recent
    assert str(broken) not in recent


def test_the_benchmark_says_a_slowdown_and_counts_views() -> None:
    from kinetoscope.ui.benchmark import cell, view

    assert "slower" in view._speed(0.448) and "2.23×" in view._speed(0.448)
    assert "speed-up" not in view._speed(0.448, 0.4, 0.5)
    assert "2.5–2×" not in view._speed(0.448, 0.4, 0.5) and "2–2.5×" in view._speed(0.448, 0.4, 0.5)
    assert view._speed(2.0).startswith("speed-up <b>2×")
    assert dict(cell._FIGURES)["rate"] == "Views / s"  # the throughput of single views, not whole clips


def test_open_log_folder_without_a_file_manager_says_where_it_is(qapp: QApplication, make_window) -> None:
    import shutil

    import pytest
    from PySide6.QtWidgets import QMessageBox

    from kinetoscope.engine import paths

    if shutil.which("xdg-open"):
        pytest.skip("a file manager may be registered here: the folder would open")
    window = make_window(views=1)
    window.actions_.open_log.trigger()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1, "nothing said where the log folder is"
    box = boxes[0]
    assert box.informativeText() == str(paths.log_dir())
    copy = next(b for b in box.buttons() if b.text() == "Copy Path")
    qapp.clipboard().clear()
    copy.click()
    assert qapp.clipboard().text() == str(paths.log_dir())
    wait_until(qapp, lambda: not box.isVisible(), what="the message to close")


def test_the_benchmark_follows_the_model_in_use(qapp: QApplication, qtbot, make_window) -> None:
    from kinetoscope.engine.bench.bench_setup import BenchConfig
    from kinetoscope.ui.benchmark.job import BenchRequest

    window = make_window(views=1)
    assert window.controls.options().model_id == "motion_demo"
    window.actions_.benchmark.trigger()
    view = window.tools.benchmark.view
    combo = view.controls.model_combo
    assert combo.currentData() == "motion_demo"  # the model in use, not the first listed
    assert combo.currentText() == "Motion demo"
    request = BenchRequest("motion_demo", ("float",), BenchConfig(devices=("cpu",), runs=2, warmup=0,
                                                                   overhead_runs=0), views=1)
    with qtbot.waitSignal(view.finished, timeout=120_000):
        assert view.start(request)
    qtbot.waitUntil(lambda: not view.running, timeout=10_000)
    assert view.status.text().startswith("Motion demo: done")  # the summary names the model
    assert view.cells and view.result is not None
    combo.setCurrentIndex(combo.findData("i3d_kinetics"))
    # The last run stays (and can be exported), saying whose it is: not read as I3D's, not lost.
    assert view.cells and view.result is not None and view.export_json_button.isEnabled()
    assert "still Motion demo's" in view.status.text() and "I3D (Kinetics-400)" in view.status.text()
    assert view.comparison.text().startswith("<b>These figures are from the last run, of Motion demo</b>")
    window.tools.benchmark.close()
