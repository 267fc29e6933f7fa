"""The Benchmark view, driven as a user would: a short 2×2 run, live figures, then exports."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtGui import QImage

from kinetoscope.engine.bench.bench_results import CellKey
from kinetoscope.engine.bench.bench_setup import BenchConfig
from kinetoscope.ui.benchmark.view import BenchmarkDialog, BenchmarkView
from kinetoscope.ui.benchmark.job import BenchRequest
from model_factory import tiny_classifier, write_bundle_folder

MODEL = "tiny_bench"


@pytest.fixture
def installed(home):
    """The same tiny classifier installed in float and w8a8 (quantized I/O)."""
    for precision, quantized in (("float", False), ("w8a8", True)):
        write_bundle_folder(home / "models" / MODEL / precision, tiny_classifier(9, seed=3, quantized_io=quantized),
                            model_id=MODEL, precision=precision, top_folder=False)
    return MODEL


@pytest.mark.npu
def test_a_short_run_fills_the_grid_and_exports(qtbot, installed, tmp_path, sample_clip):
    view = BenchmarkView(clip=sample_clip)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    controls = view.controls
    controls.model_combo.setCurrentIndex(controls.model_combo.findData(MODEL))
    assert controls.precision_boxes["float"].isChecked() and controls.precision_boxes["w8a8"].isChecked()
    assert controls.input_combo.currentData() == str(sample_clip)  # the window's clip is offered
    request = controls.request()
    assert request.precisions == ("float", "w8a8") and request.config.devices == ("cpu", "npu")
    short = BenchRequest(MODEL, request.precisions, BenchConfig(runs=2, warmup=0), clip=None, views=2)
    with qtbot.waitSignal(view.finished, timeout=120_000):
        assert view.start(short)
        assert view.cancel_button.isEnabled() and not view.run_button.isEnabled()
    qtbot.waitUntil(lambda: not view.running, timeout=10_000)
    assert set(view.cells) == {CellKey(p, d) for p in ("float", "w8a8") for d in ("cpu", "npu")}
    npu = view.cells[CellKey("w8a8", "npu")]
    assert "NPU (HTP simulator)" in npu.title.text() and "not NPU speed" in npu.note.text()
    assert "cold" in npu.values["load"].text() and "cached" in npu.values["load"].text()
    assert len(npu.samples) == 2 and npu.values["median"].text() != "–"
    comparison = view.comparison.text()
    assert any(w in comparison for w in ("speed-up", "slower", "no clear difference")) and "top-1 agreement" in comparison
    # On the simulator the headline says so first, and each NPU figure is named as the simulator's.
    assert comparison.startswith("<b>NPU times are from Qualcomm's x86 simulator")
    assert "<b>NPU simulator w8a8</b>" in comparison and "<b>NPU w8a8</b>" not in comparison
    assert npu.values["memory"].text().startswith("+") and npu.values["process"].text().endswith("MB peak")
    assert view.run_button.isEnabled() and view.export_json_button.isEnabled()
    # Another model chosen: the run stays, exportable, and says whose it is.
    other = next(i for i in range(controls.model_combo.count()) if controls.model_combo.itemData(i) != MODEL)
    controls.model_combo.setCurrentIndex(other)
    assert view.result is not None and set(view.cells) == {CellKey(p, d) for p in ("float", "w8a8")
                                                           for d in ("cpu", "npu")}
    assert "still" in view.status.text() and "from the last run" in view.status.text()
    assert view.comparison.text().startswith("<b>These figures are from the last run")
    controls.model_combo.setCurrentIndex(controls.model_combo.findData(MODEL))

    data = json.loads(view.export_json(tmp_path / "run.json").read_text())
    assert set(data["results"]) == {"float", "w8a8"} and set(data["results"]["w8a8"]) == {"cpu", "npu"}
    summary, samples = view.export_csv(tmp_path / "run.csv")
    assert len(list(csv.DictReader(summary.open()))) == 4
    assert len(list(csv.DictReader(samples.open()))) == 8
    png = view.export_png(tmp_path / "run.png")
    image = QImage(str(png))
    assert image.width() >= 1000 and image.height() >= 600


def test_cancel_stops_the_run_and_closing_the_dialog_waits_for_it(qtbot, installed):
    dialog = BenchmarkDialog()
    qtbot.addWidget(dialog)
    dialog.open_for(None)
    view = dialog.view
    request = BenchRequest(MODEL, ("float",), BenchConfig(devices=("cpu",), runs=10_000, warmup=0), views=1)
    # Cancelled before its first run, so the outcome cannot depend on how fast this machine is;
    # cancelling between runs is proven in tests/test_benchmark.py.
    view.start(request)
    with qtbot.waitSignal(view.task.cancelled, timeout=30_000):
        view.cancel()
    qtbot.waitUntil(lambda: not view.running, timeout=10_000)
    assert "Cancelled" in view.status.text()
    view.start(request)
    dialog.close()  # cancels and waits: no thread left running
    assert not view.running


def test_speeds_are_said_in_words_and_an_interval_holding_1_is_no_clear_difference() -> None:
    from kinetoscope.ui.benchmark.view import _speed

    assert _speed(2.0, 1.5, 2.5) == "speed-up <b>2×</b> (95 % interval 1.5–2.5×)"
    assert _speed(0.5, 0.4, 0.6).startswith("<b>2× slower</b>")
    # The case: "CPU w8a8 1.88x slower (95 % interval 0.909–3.77x)" is no clear difference.
    text = _speed(1 / 1.88, 1 / 3.77, 1 / 0.909)
    assert text.startswith("<b>no clear difference</b>") and "1.88× slower" in text and "includes 1" in text
    assert "slower</b>" not in text


def test_the_npu_box_says_simulator_before_any_run(qtbot, installed) -> None:
    dialog = BenchmarkDialog()
    qtbot.addWidget(dialog)
    dialog.open_for(None, MODEL, npu_label="NPU (HTP simulator)")
    assert dialog.view.controls.device_boxes["npu"].text() == "NPU (HTP simulator)"
    dialog.close()
