"""Teaching on the NPU (the HTP simulator here): the motion nodes run wholly there and give numpy's
numbers; `teach train --device npu` end to end on the tiny base (features extracted on the HTP, the
taught model run wholly there); a taught w8a8 I3D model runs wholly on the HTP and agrees with the
CPU, its features included (whether the view is recognised is test_teach_real.py's business). The
simulator needs minutes an I3D view, so one view is run there; that set's features come from the
same w8a8 graph on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from kinetoscope.engine.inference.devices import npu_is_simulated, qnn_ep_devices, qnn_provider_options
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.preprocess import center_crop, to_model_input
from kinetoscope.engine.media.probe import probe
from kinetoscope.engine.media.video import VideoReader
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.modelfiles.model_store import resolve_model
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.example_features import span_plan
from kinetoscope.engine.teach.feature_cache import FeatureCache
from kinetoscope.engine.teach.motion import motion_numpy
from kinetoscope.engine.teach.taught_model import CLASS_OUTPUT
from motions import motion_graph, render, video_of
from tiny_base import install_tiny_base

pytestmark = [pytest.mark.npu, pytest.mark.slow]

ARM, POOL = "arm_wrestling_340x256_28fps.mp4", "clip_340x256_30fps.mp4"


def cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys\nfrom kinetoscope.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900,
                          env=os.environ.copy())


def test_the_motion_nodes_run_wholly_on_the_htp_and_give_the_numpy_numbers() -> None:
    """In fp16 there (the HTP runs float nodes in fp16): within a few thousandths of numpy's float32."""
    pytest.importorskip("onnxruntime_qnn")
    devices = qnn_ep_devices()
    so = ort.SessionOptions()
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")  # every node on the HTP, or no session
    so.add_provider_for_devices(devices, qnn_provider_options(npu_is_simulated(devices)))
    session = ort.InferenceSession(motion_graph(), sess_options=so)
    for name, seed in (("moving left", 5), ("rotating clockwise", 5), ("shrinking", 5)):
        video = video_of(name, seed)
        got, = session.run(["motion"], {"video": video})
        np.testing.assert_allclose(got.ravel(), motion_numpy(video), atol=5e-3)


def test_teach_train_on_the_npu_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime_qnn")
    base = install_tiny_base(tmp_path)
    clips = {m: [render(tmp_path, m, 30 + k) for k in range(3)] for m in ("growing", "moving left")}
    for action, paths in clips.items():
        for path in paths:
            added = cli("teach", "add", "shapes", action, str(path), "--model", base)  # features on the CPU
            assert added.returncode == 0, added.stderr
    trained = cli("teach", "train", "shapes", "--device", "npu", "--json")
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["cache"] == {"hits": 0, "misses": 6}  # the CPU's features are not the NPU's: all extracted there
    assert report["features_device"] == "npu" and report["loo_accuracy"] == 1.0
    taught = teaching.taught_info("shapes", "float")
    assert taught is not None and taught["features_device"] == "npu" and taught["motion"] is True
    results = {}
    for device in ("npu", "cpu"):
        run = cli("classify", str(clips["growing"][0]), "--model", "shapes", "--device", device, "--json")
        assert run.returncode == 0, run.stderr
        results[device] = json.loads(run.stdout)
    npu, cpu = results["npu"], results["cpu"]
    assert npu["device"]["used"] == "npu" and npu["device"]["fallback_nodes"] == [], npu["device"]
    assert npu["top5"][0]["label"] == cpu["top5"][0]["label"] == "growing"
    assert abs(npu["top5"][0]["prob"] - cpu["top5"][0]["prob"]) < 0.05


def test_a_taught_w8a8_model_runs_wholly_on_the_htp_and_agrees_with_the_cpu(media, tmp_path) -> None:
    pytest.importorskip("onnxruntime_qnn")
    cache = FeatureCache(tmp_path / "features")
    for action, clip in (("table match", ARM), ("pool chores", POOL)):
        for start, end in ((0.0, 3.0), (3.5, 6.5)):
            teaching.add_example("w8", action, media / clip, start, end, precision="w8a8", cache=cache)
    teaching.train_set("w8", cache=cache)
    bundle = open_bundle(resolve_model("w8", "w8a8"))
    assert bundle.precision == "w8a8" and bundle.features is not None
    plan = span_plan(probe(media / ARM), ModelSession(bundle, "cpu"), 7.0, 9.8, views=1)
    with VideoReader(media / ARM, resize=bundle.recipe.resize) as reader:
        frames = next(reader.read_windows(plan.windows()))
    tensor = to_model_input(center_crop(frames.rgb, bundle.recipe.crop), bundle.recipe)
    outputs = [CLASS_OUTPUT, bundle.features.name]
    npu = ModelSession(bundle, "npu")
    assert npu.report.used == "npu" and npu.report.fallback_nodes == (), npu.report.summary()
    probs_npu, feats_npu = npu.ort_session.run(outputs, {"video": tensor})
    probs_cpu, feats_cpu = ModelSession(bundle, "cpu").ort_session.run(outputs, {"video": tensor})
    cosine = float(feats_npu.ravel() @ feats_cpu.ravel() / np.linalg.norm(feats_npu) / np.linalg.norm(feats_cpu))
    print(f"\nHTP vs CPU: features cosine {cosine:.4f}; top-1 {bundle.labels[int(probs_npu.argmax())]!r} "
          f"({probs_npu.max():.3f}) vs {bundle.labels[int(probs_cpu.argmax())]!r} ({probs_cpu.max():.3f})")
    assert cosine > 0.98
    assert int(probs_npu.argmax()) == int(probs_cpu.argmax())
    assert np.abs(probs_npu - probs_cpu).max() < 0.05
