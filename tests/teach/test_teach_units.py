"""Action sets, the linear probe and the ONNX head, without any video model (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.teach import action_set as sets
from kinetoscope.engine.teach.action_set import ActionSet, BaseModel, Example
from kinetoscope.engine.teach.onnx_edit import splice
from kinetoscope.engine.teach.probe import NONE_LABEL, train_probe
from kinetoscope.engine.teach.taught_model import CLASS_OUTPUT, head_addition


def _example(name: str, start: float | None = None, end: float | None = None) -> Example:
    return Example(Path(f"/clips/{name}.mp4"), name * 8, start, end)


def test_a_set_round_trips_through_its_json_file() -> None:
    s = ActionSet("drills", BaseModel("i3d_kinetics", "float"))
    s = s.with_example("jab", _example("a", 1.0, 2.5)).with_example("jab", _example("b")).with_example(
        "hook", _example("c"))
    saved = sets.save_set(s)
    data = json.loads(sets.set_path("drills").read_text())
    assert data["format"] == 1 and data["base_model"] == {"id": "i3d_kinetics", "precision": "float"}
    assert data["actions"][0]["examples"][0] == {"clip": "/clips/a.mp4", "sha256": "a" * 8, "start_s": 1.0,
                                                  "end_s": 2.5}
    assert sets.load_set("drills") == saved and saved.updated_at
    assert sets.list_sets() == ["drills"]


def test_set_edits_refuse_repeats_and_unknown_names() -> None:
    s = ActionSet("drills", BaseModel("m", "float")).with_example("jab", _example("a"))
    with pytest.raises(BadInput, match="already an example"):
        s.with_example("jab", _example("a"))
    assert s.with_example("jab", _example("a", 0.0, 2.0)).example_count == 2  # another part of the same clip
    with pytest.raises(BadInput, match="no action"):
        s.without("kick")
    with pytest.raises(BadInput, match="no example 3"):
        s.without("jab", 3)
    assert s.without("jab", 1).actions == ()
    for bad in ("Drills", "1x", "a b", "x" * 49, ""):
        with pytest.raises(BadInput, match="cannot name a set"):
            sets.check_set_name(bad)


def test_a_failed_save_leaves_the_previous_set_whole(monkeypatch) -> None:
    first = sets.save_set(ActionSet("drills", BaseModel("m", "float")).with_example("jab", _example("a")))
    before = sets.set_path("drills").read_bytes()

    def explode(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sets.json, "dumps", explode)
    with pytest.raises(Exception):
        sets.save_set(first.with_example("hook", _example("b")))
    assert sets.set_path("drills").read_bytes() == before
    assert [p.name for p in sets.sets_dir().iterdir()] == ["drills.json"]


def _clusters(k: int, per: int, views: int = 3, seed: int = 0, dim: int = 64) -> tuple[list, list, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim)) * 2
    feats = [np.abs(centres[c] + rng.normal(size=(views, dim))).astype(np.float32) for c in range(k) for _ in range(per)]
    return feats, [c for c in range(k) for _ in range(per)], centres


@pytest.mark.parametrize("method", ["ncm", "logreg"])
def test_the_probe_is_deterministic_and_reports_leave_one_clip_out(method: str) -> None:
    feats, classes, _ = _clusters(4, 3)
    labels = ("a", "b", "c", "d")
    head1, report1 = train_probe(feats, classes, labels, method)
    head2, report2 = train_probe(feats, classes, labels, method)
    assert np.array_equal(head1.weights, head2.weights) and np.array_equal(head1.bias, head2.bias)
    assert report1.accuracy == 1.0 and report1.held_out == report2.held_out
    assert report1.confusions == ((3, 0, 0, 0, 0), (0, 3, 0, 0, 0), (0, 0, 3, 0, 0), (0, 0, 0, 3, 0)) or \
        sum(r[-1] for r in report1.confusions) <= 1  # at most one held-out example below the threshold
    assert head1.weights.shape == (64, 5) and not head1.weights[:, -1].any()
    assert report1.warnings == ()


def test_the_probe_warns_about_thin_actions_and_rejects_the_unlike() -> None:
    feats, classes, centres = _clusters(3, 3)
    feats, classes = feats[:-2], classes[:-2]  # the last action keeps one example
    head, report = train_probe(feats, classes, ("a", "b", "c"))
    assert report.examples_per_action == (3, 3, 1)
    assert report.warnings == ("'c' has 1 example; 3 or more make it reliable.",)
    assert report.confusions[2][:3] == (0, 0, 0)  # held out, nothing of its kind was left to find it
    rng = np.random.default_rng(7)
    stranger = np.abs(rng.normal(size=(3, 64)) * 2).astype(np.float32)
    assert np.argmax(head.probabilities(stranger).mean(axis=0)) == 3  # "none of the taught actions"
    assert np.argmax(head.probabilities(feats[0]).mean(axis=0)) == 0


def _base_with_features(dim: int = 16) -> onnx.ModelProto:
    """x [1, 3, 2, 4, 4] -> features = mean over T, H, W of relu(W x) (dim), class_probs (5)."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(dim, 3, 1, 1, 1)).astype(np.float32), "w")
    w2 = numpy_helper.from_array(rng.normal(size=(dim, 5)).astype(np.float32), "w2")
    nodes = [helper.make_node("Conv", ["video", "w"], ["c"]), helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("ReduceMean", ["r"], ["features"], axes=[2, 3, 4], keepdims=0),
             helper.make_node("MatMul", ["features", "w2"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["class_probs"], axis=1)]
    graph = helper.make_graph(nodes, "base", [helper.make_tensor_value_info("video", TensorProto.FLOAT, [1, 3, 2, 4, 4])],
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, 5]),
                               helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, dim])], [w, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("method", ["ncm", "logreg"])
def test_the_spliced_head_computes_what_the_probe_does(method: str) -> None:
    base = _base_with_features()
    rng = np.random.default_rng(1)
    videos = [rng.random((1, 3, 2, 4, 4), np.float32) for _ in range(9)]
    plain = ort.InferenceSession(base.SerializeToString(), providers=["CPUExecutionProvider"])
    feats = [plain.run(["features"], {"video": v})[0] for v in videos]
    head, _ = train_probe(feats, [i % 3 for i in range(9)], ("a", "b", "c"), method)
    merged = onnx.load_from_string(splice(base.SerializeToString(), "class_probs", head_addition(head, "features")))
    onnx.checker.check_model(merged, full_check=True)
    assert [o.name for o in merged.graph.output] == ["features", CLASS_OUTPUT]
    assert {n.op_type for n in merged.graph.node} >= {"Conv", "ReduceMean", "MatMul", "Softmax"}
    assert "w2" not in {i.name for i in merged.graph.initializer}  # the base's own classifier is gone
    assert "logits" not in {o for n in merged.graph.node for o in n.output}
    session = ort.InferenceSession(merged.SerializeToString(), providers=["CPUExecutionProvider"])
    for v, f in zip(videos, feats):
        probs, = session.run([CLASS_OUTPUT], {"video": v})
        np.testing.assert_allclose(probs, head.probabilities(f), atol=1e-5)
    assert NONE_LABEL == "none of the taught actions"
