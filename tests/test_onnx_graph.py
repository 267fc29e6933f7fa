from __future__ import annotations

import onnx
import pytest

from kinetoscope.engine.errors import ModelError
from kinetoscope.engine.modelfiles.onnx_graph import read_graph_summary
from model_factory import image_classifier, tiny_classifier


def test_summary_matches_the_onnx_package(tmp_path):
    model = tiny_classifier(7, quantized_io=True)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    summary = read_graph_summary(path)
    assert [i.name for i in summary.inputs] == [i.name for i in model.graph.input]
    assert summary.inputs[0].dtype == "uint8"
    assert summary.inputs[0].shape == (1, 3, 16, 112, 112)
    assert summary.outputs[0].shape == (1, 7)
    assert [n.op_type for n in summary.nodes] == [n.op_type for n in model.graph.node]
    assert summary.scalars["in_scale"] == pytest.approx(1 / 255)
    assert summary.scalars["in_zp"] == 0
    assert summary.scalars["out_scale"] == pytest.approx(1 / 256)


def test_symbolic_dimensions_read_as_none(tmp_path):
    model = tiny_classifier(3)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    assert read_graph_summary(path).inputs[0].shape == (None, 3, 16, 112, 112)


def test_external_data_is_not_loaded(tmp_path):
    model = tiny_classifier(3, weight_elems=300_000)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path), save_as_external_data=True, location="m.data", size_threshold=1024)
    assert path.stat().st_size < 50_000
    assert read_graph_summary(path).inputs[0].shape == (1, 3, 16, 112, 112)


def test_image_model_reads_too(tmp_path):
    path = tmp_path / "img.onnx"
    onnx.save(image_classifier(), str(path))
    assert read_graph_summary(path).inputs[0].shape == (1, 3, 224, 224)


@pytest.mark.parametrize("content", [b"", b"not a model at all", bytes(range(256)) * 4])
def test_garbage_is_a_model_error(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError):
        read_graph_summary(path)


def test_truncated_model_is_a_model_error(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(tiny_classifier(3), str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError):
        read_graph_summary(path)
