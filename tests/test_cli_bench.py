"""`kinetoscope bench` end to end, in a subprocess as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model_factory import tiny_classifier, write_bundle_folder

REPO = Path(__file__).resolve().parents[1]


def _kinetoscope(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, KINETOSCOPE_HOME=str(home), PYTHONPATH=str(REPO / "app"))
    return subprocess.run([sys.executable, "-m", "kinetoscope", *args], capture_output=True, text=True,
                          env=env, timeout=240, check=False)


def test_bad_device_is_refused(tmp_path, kinetoscope_home):
    done = _kinetoscope("bench", "--devices", "gpu", home=kinetoscope_home)
    assert done.returncode == 2 and "choose from cpu, npu" in done.stderr


@pytest.mark.npu
def test_bench_prints_a_table_and_writes_json(tmp_path, kinetoscope_home):
    model = write_bundle_folder(tmp_path, tiny_classifier(9, seed=5, quantized_io=True), precision="w8a8")
    out = tmp_path / "bench.json"
    done = _kinetoscope("bench", "--model", str(model), "--devices", "cpu,npu", "--runs", "2", "--warmup", "0",
                        "--views", "2", "--json", str(out), home=kinetoscope_home)
    assert done.returncode == 0, done.stderr
    assert "NPU (HTP simulator)" in done.stdout and "not NPU speed" in done.stdout
    assert "Speed-up" in done.stdout and "Agreement" in done.stdout and "Pipeline overhead" in done.stdout
    data = json.loads(out.read_text())
    npu = data["results"]["w8a8"]["npu"]
    cpu = data["results"]["w8a8"]["cpu"]
    assert set(npu["load_ms"]) == {"cold", "cached"} and npu["load_ms"]["cached"] is not None
    assert set(npu["latency_ms"]) == {"median", "p90", "p99", "mean", "sd", "samples"}
    assert all(key in cpu for key in ("first_ms", "clips_per_s", "peak_rss_mb"))
    assert data["speedup"][0]["ratio"] > 0 and data["agreement"][0]["top1"] == 1.0
    # The compiled context is in the data folder for the next start.
    assert list((kinetoscope_home / "cache" / "qnn_context").glob("*/model_ctx.onnx"))
