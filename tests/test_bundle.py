from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.errors import ModelError
from model_factory import image_classifier, tiny_classifier, write_bundle_folder, zip_folder


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KINETOSCOPE_HOME", str(tmp_path / "home"))


def test_release_zip_with_external_weights(tmp_path):
    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(9, weight_elems=100_000), model_id="tiny",
                                 external_data=True)
    assert (folder / "tiny_onnx" / "tiny.data").is_file()
    bundle = open_bundle(zip_folder(folder, tmp_path / "tiny-onnx-float.zip"))
    assert bundle.model_id == "tiny" and bundle.precision == "float"
    assert bundle.onnx_path.name == "tiny.onnx" and bundle.onnx_path.parent.name == "tiny_onnx"
    assert bundle.labels == tuple(f"action {i}" for i in range(9))
    assert bundle.input.shape == (1, 3, 16, 112, 112) and bundle.frames == 16
    assert bundle.input_quant is None and bundle.softmax_applied


def test_zip_is_unpacked_once(tmp_path):
    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(4), model_id="tiny")
    z = zip_folder(folder, tmp_path / "tiny-onnx-float.zip")
    first = open_bundle(z)
    marker = first.root / ".complete"
    stamp = marker.stat().st_mtime_ns
    second = open_bundle(z)
    assert second.root == first.root and marker.stat().st_mtime_ns == stamp


def test_quantized_io_from_metadata_or_graph(tmp_path):
    model = tiny_classifier(5, quantized_io=True)
    with_meta = open_bundle(write_bundle_folder(tmp_path / "a", model, precision="w8a8"))
    folder = write_bundle_folder(tmp_path / "b", model, precision="w8a8", metadata=False)
    from_graph = open_bundle(folder)
    for bundle in (with_meta, from_graph):
        assert bundle.input_quant is not None and bundle.input_quant.dtype == "uint8"
        assert bundle.input_quant.scale == pytest.approx(1 / 255)
        assert bundle.output_quant is not None and bundle.output_quant.scale == pytest.approx(1 / 256)
    assert from_graph.precision == "w8a8"  # from the folder name
    q = from_graph.input_quant
    x = np.array([0.0, 0.25, 1.0, 1.5], np.float32)
    assert q.quantize(x).tolist() == [0, 64, 255, 255]
    meta = json.loads((tmp_path / "a" / "tiny_video-onnx-w8a8" / "metadata.json").read_text())
    assert meta["model_files"]["tiny_video.onnx"]["inputs"]["video"]["dtype"] == "uint8"


def test_liberal_layout_without_top_folder_or_metadata(tmp_path):
    folder = write_bundle_folder(tmp_path / "flat", tiny_classifier(6), metadata=False, top_folder=False)
    (folder / "tiny_video.onnx").rename(folder / "whatever.onnx")
    z = zip_folder(folder, tmp_path / "some download.zip", arc_root="")
    bundle = open_bundle(z)
    assert bundle.onnx_path.name == "whatever.onnx"
    assert len(bundle.labels) == 6


def test_a_bare_onnx_file_with_400_classes_gets_kinetics_labels(tmp_path):
    path = tmp_path / "r2p1d.onnx"
    onnx.save(tiny_classifier(400), str(path))
    bundle = open_bundle(path)
    assert bundle.labels[0] == "abseiling" and len(bundle.labels) == 400


def test_image_model_is_refused_with_a_clear_message(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    onnx.save(image_classifier(), str(folder / "img.onnx"))
    with pytest.raises(ModelError, match="not a video classifier"):
        open_bundle(folder)


def test_a_model_without_labels_shows_numbered_classes_and_says_so(tmp_path):
    folder = write_bundle_folder(tmp_path / "x", tiny_classifier(7), metadata=False)
    (folder / "tiny_video_labels.txt").unlink()
    bundle = open_bundle(folder)
    assert bundle.labels == tuple(f"class {i}" for i in range(7))
    assert "names none of its 7 classes" in bundle.labels_note


def test_labels_of_the_wrong_length_are_refused(tmp_path):
    folder = write_bundle_folder(tmp_path / "x", tiny_classifier(7), labels=["a", "b"])
    with pytest.raises(ModelError, match="labels"):
        open_bundle(folder)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"hello"])
def test_broken_zip_is_a_model_error(tmp_path, content):
    z = tmp_path / "broken-onnx-float.zip"
    z.write_bytes(content)
    with pytest.raises(ModelError):
        open_bundle(z)


def test_no_model_in_the_zip(tmp_path):
    folder = tmp_path / "empty-onnx-float"
    folder.mkdir()
    (folder / "readme.txt").write_text("nothing here")
    with pytest.raises(ModelError, match="no ONNX"):
        open_bundle(zip_folder(folder, tmp_path / "empty.zip"))


def test_missing_path(tmp_path):
    with pytest.raises(ModelError, match="No model"):
        open_bundle(tmp_path / "nope.zip")


def _with_cpu_graph(tmp_path, cpu_model: onnx.ModelProto, name: str = "tiny_video_cpu.onnx"):
    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(5, seed=1), precision="w8a8",
                                 kinetoscope={"format": 1, "cpu_graph": name})
    onnx.save(cpu_model, str(folder / name))
    return folder


def test_a_cpu_graph_named_by_the_metadata_is_the_cpu_sessions_graph(tmp_path):
    from kinetoscope.engine.inference.session import ModelSession

    folder = _with_cpu_graph(tmp_path, tiny_classifier(5, seed=2))
    # Both graphs are listed in no model_files entry but the main one: the CPU graph is not a second model.
    bundle = open_bundle(zip_folder(folder, tmp_path / "tiny_video-onnx-w8a8.zip"))
    assert bundle.onnx_path.name == "tiny_video.onnx"
    assert bundle.cpu_graph is not None and bundle.cpu_graph.name == "tiny_video_cpu.onnx"
    assert bundle.cpu_onnx_path == bundle.cpu_graph
    x = np.random.default_rng(0).random((1, 3, 16, 112, 112), dtype=np.float32)
    on_cpu = ModelSession(bundle, "cpu").run(x)
    main_only = ModelSession(open_bundle(write_bundle_folder(tmp_path / "main", tiny_classifier(5, seed=1))), "cpu")
    cpu_only = ModelSession(open_bundle(write_bundle_folder(tmp_path / "cpu", tiny_classifier(5, seed=2))), "cpu")
    # The CPU session runs the CPU graph (seed 2), not the main one (seed 1).
    assert np.allclose(on_cpu, cpu_only.run(x), atol=1e-6) and not np.allclose(on_cpu, main_only.run(x), atol=1e-4)


def test_a_bundle_without_a_cpu_graph_runs_its_one_graph_on_the_cpu(tmp_path):
    bundle = open_bundle(write_bundle_folder(tmp_path / "src", tiny_classifier(5)))
    assert bundle.cpu_graph is None and bundle.cpu_onnx_path == bundle.onnx_path


@pytest.mark.parametrize("name", ["missing_cpu.onnx", "../escape.onnx", "notes.txt"])
def test_a_cpu_graph_that_is_not_an_onnx_file_of_the_bundle_is_refused(tmp_path, name):
    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(5), precision="w8a8",
                                 kinetoscope={"format": 1, "cpu_graph": name})
    (folder / "notes.txt").write_text("not a graph")
    with pytest.raises(ModelError, match="cpu_graph"):
        open_bundle(folder)


def test_a_cpu_graph_with_other_inputs_or_outputs_is_refused(tmp_path):
    folder = _with_cpu_graph(tmp_path, tiny_classifier(7))  # 7 classes against the main graph's 5
    with pytest.raises(ModelError, match="other inputs or outputs"):
        open_bundle(folder)


def test_an_unchanged_zip_is_hashed_once_and_a_changed_one_again(tmp_path, monkeypatch):
    import os

    import kinetoscope.engine.modelfiles.bundle as bundle_module

    hashed = []
    real_hash = bundle_module.sha256_file
    monkeypatch.setattr(bundle_module, "sha256_file", lambda p: hashed.append(p) or real_hash(p))
    z = zip_folder(write_bundle_folder(tmp_path / "a", tiny_classifier(4), model_id="tiny"), tmp_path / "tiny-onnx-float.zip")
    first = open_bundle(z)
    again = open_bundle(z)
    assert len(hashed) == 1 and again.root == first.root  # the second start reads the memo
    # Another model in the same file (a reinstall): new size or time, so it is hashed and unpacked anew.
    zip_folder(write_bundle_folder(tmp_path / "b", tiny_classifier(6), model_id="tiny"), z)
    os.utime(z, ns=(z.stat().st_atime_ns, z.stat().st_mtime_ns + 1_000_000))
    changed = open_bundle(z)
    assert len(hashed) == 2 and changed.root != first.root and changed.num_classes == 6
