"""Real onnxruntime sessions: the CPU provider and the QNN HTP backend (the x86 simulator here)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.errors import DeviceError
from kinetoscope.engine.inference.session import ModelSession
from model_factory import IR_VERSION, tiny_classifier, write_bundle_folder


def _video(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((1, 3, 16, 112, 112), dtype=np.float32)


@pytest.fixture
def float_bundle(tmp_path):
    return open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=3)))


@pytest.fixture
def quantized_io_bundle(tmp_path):
    return open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=3, quantized_io=True),
                                           precision="w8a8"))


def test_cpu_session_gives_probabilities(float_bundle):
    session = ModelSession(float_bundle, "cpu")
    probs = session.run(_video())
    assert probs.shape == (9,) and probs.dtype == np.float32
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert session.report.used == "cpu" and session.report.label == "CPU"
    assert session.report.total_nodes > 0 and session.load_ms > 0


def test_quantized_io_is_quantized_and_dequantized(float_bundle, quantized_io_bundle):
    video = _video(1)
    reference = ModelSession(float_bundle, "cpu").run(video)
    probs = ModelSession(quantized_io_bundle, "cpu").run(video)
    # uint8 input and output: agreement within a few quantization steps of 1/256.
    assert np.abs(probs - reference).max() < 0.05
    assert int(np.argmax(probs)) == int(np.argmax(reference))


def test_unknown_device_is_refused(float_bundle):
    with pytest.raises(DeviceError):
        ModelSession(float_bundle, "gpu")


def test_devices_report_the_simulator_honestly():
    statuses = {s.kind: s for s in device_statuses()}
    assert statuses["cpu"].available
    npu = statuses["npu"]
    assert npu.available, npu.reason
    assert npu.simulated and npu.label == "NPU (HTP simulator)"


def test_x64_python_under_emulation_on_arm64_windows_is_named_as_the_reason(monkeypatch):
    from kinetoscope.engine.inference import devices

    monkeypatch.setattr(devices, "_windows_native_machine", lambda: devices.IMAGE_FILE_MACHINE_ARM64)
    monkeypatch.setattr(devices.platform, "machine", lambda: "AMD64")
    npu = {s.kind: s for s in device_statuses()}["npu"]
    assert not npu.available and npu.reason.startswith("this is an x64 Python running under emulation")
    monkeypatch.setattr(devices, "_windows_native_machine", lambda: None)  # Linux x86-64, x64 Windows
    assert not devices.x64_under_emulation()


@pytest.mark.npu
def test_quantized_graph_runs_wholly_on_the_htp_and_agrees_with_cpu(quantized_io_bundle):
    npu = ModelSession(quantized_io_bundle, "npu")
    assert npu.report.used == "npu" and npu.report.simulated
    assert npu.report.label == "NPU (HTP simulator)"
    assert npu.report.fallback_nodes == ()
    video = _video(2)
    cpu_probs = ModelSession(quantized_io_bundle, "cpu").run(video)
    npu_probs = npu.run(video)
    assert np.abs(npu_probs - cpu_probs).max() < 0.02


def _graph_with_an_op_the_htp_lacks(path):
    """A video classifier with one op (Hardmax) that the QNN EP leaves to the CPU."""
    w = numpy_helper.from_array(np.full((3, 4), 0.1, np.float32), "w")
    nodes = [
        helper.make_node("ReduceMean", ["video"], ["pooled"], axes=[2, 3, 4], keepdims=0),
        helper.make_node("MatMul", ["pooled", "w"], ["logits"]),
        helper.make_node("Hardmax", ["logits"], ["summed"], axis=1),
        helper.make_node("Softmax", ["summed"], ["class_probs"], axis=1),
    ]
    graph = helper.make_graph(nodes, "partial", [helper.make_tensor_value_info("video", TensorProto.FLOAT, [1, 3, 16, 112, 112])],
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, 4])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = IR_VERSION
    onnx.save(model, str(path / "partial.onnx"))
    (path / "labels.txt").write_text("a\nb\nc\nd\n")
    return path


@pytest.mark.npu
def test_cpu_fallback_nodes_are_reported(tmp_path):
    bundle = open_bundle(_graph_with_an_op_the_htp_lacks(tmp_path))
    session = ModelSession(bundle, "npu")
    report = session.report
    assert report.requested == "npu"
    assert any(n.startswith("Hardmax") for n in report.fallback_nodes), report
    assert "fell back to the CPU" in report.summary()
    assert session.run(_video()).shape == (4,)
