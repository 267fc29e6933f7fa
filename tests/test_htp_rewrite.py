"""models/pytorchvideo_check/htp_rewrite.py: PyTorchVideo's stem max pools (kernel 1x3x3) as 2D
max pools, which the HTP runs, computing exactly what the 3D ones compute."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.modelfiles.bundle import open_bundle
from locations import REPO
from model_factory import IR_VERSION, write_bundle_folder

sys.path.insert(0, str(REPO / "models" / "pytorchvideo_check"))
from htp_rewrite import rewrite  # noqa: E402


def _stem(pool_kernel: list[int], pool_strides: list[int], pool_pads: list[int]) -> onnx.ModelProto:
    """Conv3d -> Relu -> MaxPool3d -> global pool -> classes, as a ResNet stem ends."""
    w = numpy_helper.from_array(np.random.default_rng(0).normal(0, 0.3, (8, 3, 3, 7, 7)).astype(np.float32), "w")
    fc = numpy_helper.from_array(np.random.default_rng(1).normal(0, 2, (8, 5)).astype(np.float32), "fc")
    nodes = [
        helper.make_node("Conv", ["video", "w"], ["c"], strides=[1, 4, 4], pads=[1, 3, 3, 1, 3, 3], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=pool_kernel, strides=pool_strides, pads=pool_pads,
                         name="stem/pool"),
        helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], axis=1, name="flat"),
        helper.make_node("MatMul", ["f", "fc"], ["logits"], name="fc"),
        helper.make_node("Softmax", ["logits"], ["class_probs"], axis=1, name="softmax"),
    ]
    graph = helper.make_graph(nodes, "stem", [helper.make_tensor_value_info("video", TensorProto.FLOAT, [1, 3, 8, 112, 112])],
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, 5])], [w, fc])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    return model


def test_time_free_max_pools_become_2d_and_compute_the_same():
    model = _stem([1, 3, 3], [1, 2, 2], [0, 1, 1, 0, 1, 1])
    video = np.random.default_rng(2).random((1, 3, 8, 112, 112), dtype=np.float32)
    before = ort.InferenceSession(model.SerializeToString()).run(None, {"video": video})[0]
    rewritten, done, left = rewrite(model)
    assert done == ["stem/pool"] and left == []
    assert [n.op_type for n in rewritten.graph.node].count("Reshape") == 2
    after = ort.InferenceSession(rewritten.SerializeToString()).run(None, {"video": video})[0]
    assert np.array_equal(before, after)


def test_max_pools_over_time_only_become_2d_too():
    model = _stem([2, 1, 1], [2, 1, 1], [0, 0, 0, 0, 0, 0])
    video = np.random.default_rng(3).random((1, 3, 8, 112, 112), dtype=np.float32)
    before = ort.InferenceSession(model.SerializeToString()).run(None, {"video": video})[0]
    rewritten, done, left = rewrite(model)
    assert done == ["stem/pool"] and left == []
    assert np.array_equal(before, ort.InferenceSession(rewritten.SerializeToString()).run(None, {"video": video})[0])


def test_max_pools_over_time_and_space_are_left_and_named():
    _, done, left = rewrite(_stem([3, 3, 3], [2, 2, 2], [1, 1, 1, 1, 1, 1]))
    assert done == [] and left == ["stem/pool"]


@pytest.mark.npu
def test_the_rewritten_stem_runs_wholly_on_the_htp(tmp_path):
    model = _stem([1, 3, 3], [1, 2, 2], [0, 1, 1, 0, 1, 1])
    as_is = ModelSession(open_bundle(write_bundle_folder(tmp_path / "3d", model, model_id="stem3d")), "npu")
    assert any(n.startswith("MaxPool") for n in as_is.report.fallback_nodes), as_is.report
    rewritten, _, _ = rewrite(model)
    npu = ModelSession(open_bundle(write_bundle_folder(tmp_path / "2d", rewritten, model_id="stem2d")), "npu")
    assert npu.report.used == "npu" and npu.report.fallback_nodes == (), npu.report
