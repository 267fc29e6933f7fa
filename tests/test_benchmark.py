"""The benchmark runner: interleaving, statistics, speed-up with its interval, agreement, exports."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from kinetoscope.engine.bench.bench_results import CellKey, CellReady, RunSample, agreement
from kinetoscope.engine.bench.bench_stats import LatencyStats, ratio_of_medians
from kinetoscope.engine.bench.bench_setup import BenchConfig, synthetic_input
from kinetoscope.engine.bench.benchmark import run_benchmark
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled
from model_factory import tiny_classifier, write_bundle_folder

CELL_KEYS = {"precision", "device", "label", "load_ms", "first_ms", "latency_ms", "clips_per_s", "peak_rss_mb",
             "bare_latency_ms", "pipeline_overhead_pct", "device_report", "cpu_config", "load_rss_growth_mb"}


@pytest.fixture
def bundles(tmp_path):
    return [open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=3), precision="float")),
            open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=3, quantized_io=True), precision="w8a8"))]


def test_latency_stats():
    stats = LatencyStats.of([10.0, 20.0, 30.0, 40.0, 100.0])
    assert stats.median == 30.0 and stats.mean == 40.0
    assert stats.sd == pytest.approx(np.std([10, 20, 30, 40, 100], ddof=1))
    assert 40.0 < stats.p90 <= stats.p99 <= 100.0
    assert len(stats.samples) == 5


def test_speedup_interval_brackets_the_ratio():
    rng = np.random.default_rng(0)
    slow = 100 + rng.normal(0, 5, 40)
    fast = 25 + rng.normal(0, 2, 40)
    ratio, low, high = ratio_of_medians(slow, fast)
    assert ratio == pytest.approx(4.0, rel=0.1)
    assert low < ratio < high and high - low < 1.0


def test_agreement_counts_top1_and_top5_overlap():
    a = [np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.05, 0.0]), np.array([0.1, 0.6, 0.1, 0.1, 0.05, 0.05, 0.0])]
    b = [np.array([0.5, 0.2, 0.1, 0.1, 0.0, 0.05, 0.05]), np.array([0.6, 0.1, 0.1, 0.1, 0.05, 0.05, 0.0])]
    found = agreement(CellKey("float", "cpu"), CellKey("float", "npu"), a, b)
    assert found.top1 == 0.5
    assert found.top5_overlap == pytest.approx((4 / 5 + 1) / 2)
    assert found.inputs == 2


def test_cpu_run_across_precisions_exports_json_and_csv(bundles, tmp_path):
    events = []
    result = run_benchmark(bundles, synthetic_input(bundles[0].recipe, views=2), BenchConfig(devices=("cpu",), runs=4, warmup=1),
                           on_event=events.append)
    # Interleaved: the measured samples alternate between the two cells.
    measured = [e.key.precision for e in events if isinstance(e, RunSample) and e.phase == "measured"]
    assert measured == ["float", "w8a8"] * 4
    assert sum(isinstance(e, CellReady) for e in events) == 2
    data = result.to_json()
    assert data["schema"] == "kinetoscope.bench/1" and data["interleaved"] is True
    for precision in ("float", "w8a8"):
        cell = data["results"][precision]["cpu"]
        assert CELL_KEYS <= set(cell)
        assert cell["load_ms"]["cold"] > 0 and cell["load_ms"]["cached"] is None
        assert len(cell["latency_ms"]["samples"]) == 4 and cell["clips_per_s"] > 0
        assert cell["cpu_config"]["threads"] >= 1
    (speedup,) = data["speedup"]
    assert speedup["baseline"] == "cpu/float" and speedup["candidate"] == "cpu/w8a8"
    assert speedup["interval_95"][0] <= speedup["ratio"] <= speedup["interval_95"][1]
    assert data["agreement"][0]["top1"] == 1.0
    json_path = result.write_json(tmp_path / "run.json")
    assert json.loads(json_path.read_text())["model"]["id"] == "tiny_video"
    summary, samples = result.write_csv(tmp_path / "run.csv")
    rows = list(csv.DictReader(summary.open()))
    assert [r["precision"] for r in rows] == ["float", "w8a8"]
    assert len(list(csv.DictReader(samples.open()))) == 8


def test_cancelling_stops_between_steps(bundles):
    token = CancelToken()

    def on_event(event):
        if isinstance(event, RunSample):
            token.cancel()

    with pytest.raises(Cancelled):
        run_benchmark(bundles[:1], synthetic_input(bundles[0].recipe, views=1), BenchConfig(devices=("cpu",), runs=50),
                      on_event=on_event, cancel=token)


@pytest.mark.npu
def test_cpu_and_npu_side_by_side(bundles):
    result = run_benchmark(bundles[1:], synthetic_input(bundles[0].recipe, views=2), BenchConfig(runs=2, warmup=0))
    npu = result.cell("w8a8", "npu")
    cpu = result.cell("w8a8", "cpu")
    assert npu.report.label == "NPU (HTP simulator)" and npu.report.used == "npu"
    assert npu.load.cold_ms > npu.load.cached_ms > 0  # compiled, then started from the cache
    assert cpu.report.used == "cpu" and len(npu.latency.samples) == 2
    data = result.to_json()
    assert data["speedup"][0]["candidate"] == "npu/w8a8"
    (agree,) = data["agreement"]
    assert agree["top1"] == 1.0 and agree["max_abs_prob_diff"] < 0.02


def test_cpu_tuning_picks_and_reports_a_configuration(bundles):
    result = run_benchmark(bundles[:1], synthetic_input(bundles[0].recipe, views=1),
                           BenchConfig(devices=("cpu",), runs=2, warmup=0, tune_cpu=True, tune_rounds=1))
    tried = result.to_json()["cpu_tuning_median_ms"]["float"]
    assert len(tried) >= 2 and all(ms > 0 for ms in tried.values())
    chosen = result.cell("float", "cpu").cpu_config
    assert f"{chosen['threads']} threads" in min(tried, key=tried.get)
