"""Multi-input (SlowFast) recipes and PyTorchVideo's spatial crops, on real clips and real sessions."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import pytest

from kinetoscope.engine.bench.bench_setup import BenchConfig, synthetic_input
from kinetoscope.engine.bench.benchmark import run_benchmark
from kinetoscope.engine.errors import ModelError
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.live import LiveClassifier, LiveConfig
from kinetoscope.engine.media.frame_source import TimedFrame
from kinetoscope.engine.media.preprocess import crop_name, spatial_crop, to_model_input
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.recipe import Pathway
from model_factory import tiny_classifier, two_pathway_classifier, write_bundle_folder

SLOWFAST = {"recipe": {"sampling": {"every": 2}, "resize": {"short_side": 128}, "views": 3,
                       "values": {"mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225]},
                       "pathways": [{"input": "slow", "frames": 4}, {"input": "fast", "frames": 16}]}}


@pytest.fixture(scope="module")
def slowfast_folder(tmp_path_factory):
    return write_bundle_folder(tmp_path_factory.mktemp("sf"), two_pathway_classifier(7, seed=3),
                               model_id="tiny_slowfast", softmax_applied=None, kinetoscope=SLOWFAST)


def _ptv_pack_pathway(fast: np.ndarray, slow_frames: int) -> np.ndarray:
    """PyTorchVideo's PackPathway, written out: torch.linspace(0, T - 1, T // alpha).long()."""
    t = fast.shape[2]
    idx = [math.floor(0 + k * (t - 1) / (slow_frames - 1)) for k in range(slow_frames)]
    return fast[:, :, idx]


def test_pathway_positions_follow_pytorchvideo():
    assert Pathway("slow", 8).positions(32) == (0, 4, 8, 13, 17, 22, 26, 31)
    assert Pathway("slow", 8, stride=4).positions(32) == (0, 4, 8, 12, 16, 20, 24, 28)
    assert Pathway("fast", 32).positions(32) == tuple(range(32))


def test_two_input_graph_classifies_each_view_with_both_pathways(media, slowfast_folder):
    bundle = open_bundle(slowfast_folder)
    assert bundle.recipe.frames == 16 and [p.input for p in bundle.recipe.pathways] == ["slow", "fast"]
    assert "slow 4 frames" in bundle.recipe.describe()
    classifier = VideoClassifier.open(bundle)
    result = classifier.classify(media / "clip_340x256_30fps.mp4", keep_crops=True)
    assert len(result.views) == 3
    # The model by hand, fed as PyTorchVideo packs a clip, gives each view's output.
    raw = ort.InferenceSession(str(bundle.onnx_path), providers=["CPUExecutionProvider"])
    for view in result.views:
        fast = to_model_input(view.crops, bundle.recipe)
        (logits,) = raw.run(None, {"slow": _ptv_pack_pathway(fast, 4), "fast": fast})
        expected = np.exp(logits[0] - logits[0].max())
        assert np.allclose(view.probs, expected / expected.sum(), atol=1e-6)
    # The slow pathway takes PyTorchVideo's frames, not the first four, nor every 4th.
    rng = np.random.default_rng(0)
    fast = to_model_input(rng.integers(0, 256, (16, 112, 112, 3), dtype=np.uint8), bundle.recipe)
    probs = classifier.session.run(fast)
    for slow in (_ptv_pack_pathway(fast, 4), fast[:, :, :4], fast[:, :, ::4]):
        (logits,) = raw.run(None, {"slow": np.ascontiguousarray(slow), "fast": fast})
        expected = np.exp(logits[0] - logits[0].max())
        assert np.allclose(probs, expected / expected.sum(), atol=1e-6) == (slow is not None and
                                                                             np.array_equal(slow, _ptv_pack_pathway(fast, 4)))
    assert result.to_json()["model"]["input_recipe"]["pathways"][0] == {"input": "slow", "frames": 4}


def test_two_input_graph_scans_runs_live_and_benchmarks(media, slowfast_folder):
    classifier = VideoClassifier.open(open_bundle(slowfast_folder))
    scan = classifier.scan(media / "clip_340x256_30fps.mp4", every_s=2.0)
    assert len(scan.windows) >= 4 and all(np.isclose(w.probs.sum(), 1.0) for w in scan.windows)
    results = []
    live = LiveClassifier(lambda: classifier.session, LiveConfig(every_n=4), on_result=results.append)
    live.start()
    try:
        for i in range(40):  # a camera at 30 fps; every 2nd frame is sampled
            rgb = np.full((240, 320, 3), (i * 9) % 256, np.uint8)
            live.push(TimedFrame(rgb, i / 30, i))
            assert live.wait_idle(10)
    finally:
        assert live.stop()
    assert results and results[-1].probs.shape == (7,) and np.isclose(results[-1].probs.sum(), 1.0)
    bundle = open_bundle(slowfast_folder)
    bench = run_benchmark([bundle], synthetic_input(bundle.recipe, views=2),
                          BenchConfig(devices=("cpu",), runs=2, warmup=0, overhead_runs=2))
    assert bench.cells[0].latency.median > 0 and bench.cells[0].bare.median > 0


def test_multi_input_graph_without_pathways_names_what_to_declare(tmp_path):
    folder = write_bundle_folder(tmp_path, two_pathway_classifier(), kinetoscope={"recipe": {
        "sampling": {"every": 2}, "resize": {"short_side": 128}}})
    with pytest.raises(ModelError, match="2 video inputs.*pathways"):
        open_bundle(folder)


@pytest.mark.parametrize("pathways, match", [
    ([{"input": "slow", "frames": 4}], "graph's video inputs"),
    ([{"input": "slow", "frames": 5}, {"input": "fast", "frames": 16}], "the graph's input takes 4"),
    ([{"input": "slow", "frames": 4, "stride": 8}, {"input": "fast", "frames": 16}], "does not hold"),
    ([{"input": "slow"}, {"input": "fast", "frames": 16}], "pathway"),
])
def test_pathways_are_checked_against_the_graph(tmp_path, pathways, match):
    folder = write_bundle_folder(tmp_path, two_pathway_classifier(), kinetoscope={"recipe": {
        "sampling": {"every": 2}, "resize": {"short_side": 128}, "pathways": pathways}})
    with pytest.raises(ModelError, match=match):
        open_bundle(folder)


def test_spatial_crops_are_pytorchvideos_uniform_crop():
    frames = np.arange(2 * 4 * 7 * 3, dtype=np.uint8).reshape(2, 4, 7, 3)
    # Landscape: left, centre (offset ceil(3 / 2) = 2), right; centred vertically.
    assert [spatial_crop(frames, (4, 4), i, 3)[0, 0, 0, 0] for i in range(3)] == [
        frames[0, 0, x, 0] for x in (0, 2, 3)]
    portrait = frames.transpose(0, 2, 1, 3)
    assert [spatial_crop(portrait, (4, 4), i, 3)[0, 0, 0, 0] for i in range(3)] == [
        portrait[0, y, 0, 0] for y in (0, 2, 3)]
    assert [crop_name(i, 3, 7, 4) for i in range(3)] == ["left", "centre", "right"]
    assert crop_name(0, 3, 4, 7) == "top"


def test_three_spatial_crops_times_temporal_views(media, tmp_path):
    recipe = {"sampling": {"every": 2}, "resize": {"short_side": 112}, "views": 2, "spatial_crops": 3}
    folder = write_bundle_folder(tmp_path, tiny_classifier(9, seed=2), kinetoscope={"recipe": recipe})
    bundle = open_bundle(folder)
    assert bundle.recipe.views_total == 6 and "3 spatial crops" in bundle.recipe.describe()
    result = VideoClassifier.open(bundle).classify(media / "clip_340x256_30fps.mp4", keep_crops=True)
    assert [(v.index, v.temporal, v.crop) for v in result.views] == [
        (0, 0, "left"), (1, 0, "centre"), (2, 0, "right"), (3, 1, "left"), (4, 1, "centre"), (5, 1, "right")]
    left, centre, right = result.views[:3]
    # 340x256 scaled to short side 112 is 148x112: the crops start at x = 0, 18 and 36.
    assert left.frame_times_s == centre.frame_times_s == right.frame_times_s
    assert np.array_equal(left.crops[:, :, 18:], centre.crops[:, :, :-18])
    assert np.array_equal(centre.crops[:, :, 18:], right.crops[:, :, :-18])
    assert np.allclose(result.probs, np.mean([v.probs for v in result.views], axis=0))
    assert result.to_json()["views"][2]["crop"] == "right"


def test_spatial_crops_must_be_one_or_three(tmp_path):
    folder = write_bundle_folder(tmp_path, tiny_classifier(), kinetoscope={"recipe": {"spatial_crops": 2}})
    with pytest.raises(ModelError, match="spatial_crops"):
        open_bundle(folder)


@pytest.mark.npu
def test_two_input_graph_runs_on_the_htp_and_agrees_with_cpu(slowfast_folder):
    from kinetoscope.engine.inference.session import ModelSession

    bundle = open_bundle(slowfast_folder)
    npu = ModelSession(bundle, "npu")
    assert npu.report.used == "npu" and npu.report.simulated and npu.report.fallback_nodes == ()
    fast = np.random.default_rng(4).random((1, 3, 16, 112, 112), dtype=np.float32)
    cpu_probs = ModelSession(bundle, "cpu").run(fast)
    # Float graphs run in FP16 on the HTP.
    assert np.abs(npu.run(fast) - cpu_probs).max() < 0.02
    assert int(np.argmax(npu.run(fast))) == int(np.argmax(cpu_probs))
