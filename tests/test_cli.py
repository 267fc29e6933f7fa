"""The `kinetoscope` command end to end, in subprocesses, on real clips and real models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID
from locations import SAMPLES
from model_factory import tiny_classifier, write_bundle_folder, zip_folder


def run_cli(*args: str, block_qnn: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    prelude = "import sys\n"
    if block_qnn:
        prelude += "sys.modules['onnxruntime_qnn'] = None\n"
    code = prelude + "from kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())


@pytest.fixture
def tiny_zip(tmp_path) -> Path:
    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(9), model_id="tiny")
    return zip_folder(folder, tmp_path / "tiny-onnx-float.zip")


@pytest.fixture
def tiny_w8a8(tmp_path) -> Path:
    return write_bundle_folder(tmp_path / "q", tiny_classifier(9, quantized_io=True), model_id="tiny",
                               precision="w8a8")


def _assert_clean_failure(proc: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinetoscope: "), proc.stderr
    assert words in lines[0]
    assert "Traceback" not in proc.stderr


def test_json_output_is_one_object_with_the_contract(media, tiny_zip):
    proc = run_cli("classify", str(media / "arm_wrestling_340x256_28fps.mp4"), "--model", str(tiny_zip), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert [p["label"] for p in result["top5"]][:1] and len(result["top5"]) == 5
    assert {"label", "index", "prob"} <= set(result["top5"][0])
    assert len(result["views"]) == 5
    assert result["views"][0]["start_s"] == 0 and result["views"][-1]["end_s"] == pytest.approx(10.0, abs=0.1)
    assert all(len(v["top5"]) == 5 for v in result["views"])
    assert result["device"] | {} and result["device"]["requested"] == "cpu" and result["device"]["used"] == "cpu"
    assert result["device"]["simulated"] is False and result["device"]["fallback_nodes"] == []
    assert result["model"] == {"id": "tiny", "name": "Tiny", "precision": "float", "path": str(tiny_zip),
                               "input_recipe": result["model"]["input_recipe"], "labels_note": ""}
    assert result["model"]["input_recipe"] == {
        "frames": 16, "crop": [112, 112], "sampling": {"fps": 15.0}, "views": 5, "resize": {"size": [128, 171]},
        "values": "unit", "channels": "rgb", "layout": "ncthw", "output": "probabilities", "origin": "graph"}
    assert set(result["timings_ms"]) == {"load", "decode", "preprocess", "inference", "total"}
    assert result["timings_ms"]["total"] >= result["timings_ms"]["inference"] > 0
    assert result["peak_rss_mb"] > 10


def test_text_output_and_views_option(media, tiny_zip):
    proc = run_cli("classify", str(media / "clip_340x256_6fps.mp4"), "--model", str(tiny_zip), "--views", "3")
    assert proc.returncode == 0, proc.stderr
    assert "Top 5" in proc.stdout and "Ran on CPU" in proc.stdout
    assert proc.stdout.count(" s  action ") == 3


def test_spatial_crops_are_named_per_view_in_text_and_json(media, tmp_path):
    folder = write_bundle_folder(tmp_path, tiny_classifier(9, seed=2), model_id="three_crops", kinetoscope={
        "recipe": {"sampling": {"every": 2}, "resize": {"short_side": 112}, "spatial_crops": 3}})
    zip_path = zip_folder(folder, tmp_path / "three_crops-onnx-float.zip")
    clip = str(media / "clip_340x256_30fps.mp4")
    proc = run_cli("classify", clip, "--model", str(zip_path), "--views", "2")
    assert proc.returncode == 0, proc.stderr
    assert "3 spatial crops 112x112" in proc.stdout
    lines = [line for line in proc.stdout.splitlines() if " s  " in line and " ms" in line]
    assert [line.split()[3] for line in lines] == ["left", "centre", "right"] * 2
    views = json.loads(run_cli("classify", clip, "--model", str(zip_path), "--views", "2", "--json").stdout)["views"]
    assert [(v["temporal_index"], v["crop"]) for v in views] == [
        (t, c) for t in (0, 1) for c in ("left", "centre", "right")]


@pytest.mark.npu
def test_npu_run_is_labelled_as_the_simulator(media, tiny_w8a8):
    proc = run_cli("classify", str(media / "clip_426x240_29.97fps.mp4"), "--model", str(tiny_w8a8),
                   "--device", "npu", "--views", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    device = json.loads(proc.stdout)["device"]
    assert device == device | {"requested": "npu", "used": "npu", "label": "NPU (HTP simulator)",
                               "provider": "QNNExecutionProvider", "simulated": True, "fallback_nodes": []}


@pytest.mark.npu
def test_native_npu_output_never_reaches_stdout_even_when_buffered():
    """The HTP backend printf()s a LIBNATIVE line; with stdout a pipe and Python buffered, the C
    library held it until exit, after stdout was restored, and it landed in the JSON."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    code = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "classify", str(SAMPLES / "sample_rotating_clockwise.mp4"),
                           "--model", "motion_demo", "--precision", "w8a8", "--device", "npu", "--views", "1",
                           "--json"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["device"]["used"] == "npu"  # stdout is one JSON object, nothing else


def test_missing_npu_is_a_clear_error(media, tiny_w8a8):
    proc = run_cli("classify", str(media / "clip_426x240_29.97fps.mp4"), "--model", str(tiny_w8a8),
                   "--device", "npu", block_qnn=True)
    _assert_clean_failure(proc, 3, "NPU is not available")


def test_devices_command(tmp_path):
    proc = run_cli("devices", "--json")
    assert proc.returncode == 0, proc.stderr
    devices = {d["kind"]: d for d in json.loads(proc.stdout)["devices"]}
    assert devices["cpu"]["available"] and devices["npu"]["label"] == "NPU (HTP simulator)"
    blocked = run_cli("devices", block_qnn=True)
    assert blocked.returncode == 0
    assert "unavailable: onnxruntime-qnn is not installed" in blocked.stdout


def test_not_a_video(tmp_path, tiny_zip):
    text = tmp_path / "notes.mp4"
    text.write_text("these are not frames\n" * 50)
    _assert_clean_failure(run_cli("classify", str(text), "--model", str(tiny_zip)), 2, "notes.mp4")


def test_missing_clip(tmp_path, tiny_zip):
    proc = run_cli("classify", str(tmp_path / "nope.mp4"), "--model", str(tiny_zip))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_unknown_model_id(media):
    _assert_clean_failure(run_cli("classify", str(media / "clip_340x256_30fps.mp4"), "--model", "resnet_9000"),
                          2, "Unknown model 'resnet_9000'")


def test_truncated_model_zip(media, tiny_zip, tmp_path):
    broken = tmp_path / "broken-onnx-float.zip"
    broken.write_bytes(tiny_zip.read_bytes()[:2000])
    _assert_clean_failure(run_cli("classify", str(media / "clip_340x256_30fps.mp4"), "--model", str(broken)),
                          2, "broken-onnx-float.zip")


def test_bad_views_value_is_a_usage_error(media):
    proc = run_cli("classify", str(media / "clip_340x256_30fps.mp4"), "--views", "0")
    assert proc.returncode == 2 and "between 1 and 64" in proc.stderr


def test_module_entry_point_and_version():
    proc = subprocess.run([sys.executable, "-m", "kinetoscope", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("kinetoscope ")


def test_without_the_kinetics_model_classify_and_scan_fail_naming_the_fix(tmp_path):
    """A build that lacks I3D never quietly classifies people's clips with the moving-shapes demo."""
    only_demo = tmp_path / "bundled"
    only_demo.mkdir()
    for zip_path in bundled_data.models_dir().glob(f"{DEMO_MODEL_ID}-onnx-*.zip"):
        shutil.copy(zip_path, only_demo)
    code = ("import sys\nfrom pathlib import Path\nfrom kinetoscope.engine.modelfiles import bundled_data\n"
            f"bundled_data.models_dir = lambda: Path({str(only_demo)!r})\n"
            "from kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))")
    clip = str(SAMPLES / "sample_arm_wrestling.mp4")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)

    for args in (("classify", clip), ("classify", clip, str(SAMPLES)), ("scan", clip)):
        proc = run(*args)
        _assert_clean_failure(proc, 2, "default model, I3D (Kinetics-400, `i3d_kinetics`), is not in this installation")
        assert "run `make models`" in proc.stderr and "--model" in proc.stderr
    named = run("classify", str(SAMPLES / "sample_rotating_clockwise.mp4"), "--model", DEMO_MODEL_ID, "--views", "1")
    assert named.returncode == 0 and "rotating clockwise" in named.stdout, named.stderr  # asked for: used


def test_a_failure_says_what_to_do_as_the_window_does(tmp_path, tiny_zip):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(range(256)) * 64)
    proc = run_cli("classify", str(broken), "--model", str(tiny_zip))
    _assert_clean_failure(proc, 2, "What you can do: Check that the file plays in a video player.")
