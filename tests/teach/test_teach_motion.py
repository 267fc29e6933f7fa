"""The four motion numbers (engine/teach/motion.py): what they say about the synthetic renders, the
same numbers from numpy and from the ONNX nodes inside a taught model, and a head over two blocks
computing what the probe does (fast: no video model)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from kinetoscope.engine.teach import motion
from kinetoscope.engine.teach.onnx_edit import splice
from kinetoscope.engine.teach.probe import Block, train_probe
from kinetoscope.engine.teach.taught_model import CLASS_OUTPUT, head_addition
from motions import motion_graph, video_of

# (render, which number, its sign): translation x (right +), translation y (down +), scale, rotation (clockwise +).
EXPECTED = (("moving left", 0, -1), ("moving right", 0, 1), ("moving up", 1, -1), ("moving down", 1, 1),
            ("growing", 2, 1), ("shrinking", 2, -1), ("rotating clockwise", 3, 1),
            ("rotating counterclockwise", 3, -1))


@pytest.mark.parametrize("name,axis,sign", EXPECTED)
def test_each_motion_shows_in_its_own_number_with_its_sign(name: str, axis: int, sign: int) -> None:
    """In 9 renders of 10 at least (a small object of nearly the background's grey, or a crescent
    turning about a point off its middle, can read as something else)."""
    misread = []
    for seed in range(10):
        numbers = motion.motion_numpy(video_of(name, seed))
        if not (numbers[axis] * sign > 0 and abs(numbers[axis]) == np.abs(numbers).max()):
            misread.append((seed, numbers))
    assert len(misread) <= 1, (name, misread)


def test_a_still_render_has_no_motion() -> None:
    assert np.abs(motion.motion_numpy(video_of("still", 3))).max() < 0.02


def test_the_onnx_nodes_compute_the_numpy_numbers() -> None:
    session = ort.InferenceSession(motion_graph(), providers=["CPUExecutionProvider"])
    for name, seed in (("moving left", 5), ("rotating clockwise", 6), ("growing", 7), ("still", 8)):
        video = video_of(name, seed)
        expected = motion.motion_numpy(video)
        got, = session.run(["motion"], {"video": video})
        np.testing.assert_allclose(got.ravel(), expected, atol=2e-3, rtol=1e-3)


def test_a_two_block_head_computes_what_the_probe_does() -> None:
    """The pooled features and the motion numbers, each normalised on its own inside the graph."""
    rng = np.random.default_rng(2)
    dim = 8
    blocks = (Block(dim), Block(motion.MOTION_DIM, motion.SOFT_NORM, centred=False))
    feats = []
    for c in range(3):
        for _ in range(3):
            pooled = rng.normal(size=(3, dim)) + 0.3 * c
            moving = np.zeros((3, motion.MOTION_DIM))
            moving[:, c] = 0.5 + 0.1 * rng.random(3)
            feats.append(np.hstack([pooled, moving]).astype(np.float32))
    head, report = train_probe(feats, [i // 3 for i in range(9)], ("a", "b", "c"), "ncm", blocks)
    assert report.accuracy == 1.0 and report.block_weights[-1] > 0  # the motion block is what tells them apart
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["features"]),
                               helper.make_node("Identity", ["x"], ["class_probs"])], "base",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, dim + motion.MOTION_DIM])],
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, dim + 4]),
                               helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, dim + 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    merged = splice(model.SerializeToString(), "class_probs", head_addition(head, "features"))
    session = ort.InferenceSession(merged, providers=["CPUExecutionProvider"])
    for f in feats + [np.zeros((1, dim + 4), np.float32)]:
        for row in f:
            probs, = session.run([CLASS_OUTPUT], {"x": row[None]})
            np.testing.assert_allclose(probs, head.probabilities(row[None]), atol=1e-5)


def test_motion_applies_to_i3d() -> None:
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from locations import BUNDLED_MODELS
    path = BUNDLED_MODELS / "i3d_kinetics-onnx-float.zip"
    if not path.exists():
        pytest.skip("the I3D zips are not built (make setup)")
    assert motion.applies(open_bundle(path).recipe)
