"""Teaching end to end on a tiny base model: sets, cache, bad input, saving, export and import.

The tiny base (a real ONNX graph with a features output) keeps these fast; I3D's own features are
tested in test_teach_real.py and test_teach_synthetic.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.modelfiles import model_install
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.action_set import load_set, set_path
from kinetoscope.engine.teach.feature_cache import FeatureCache
from kinetoscope.engine.teach.probe import NONE_LABEL
from motions import render
from tiny_base import install_tiny_base


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, list[Path]]:
    folder = tmp_path_factory.mktemp("tiny-clips")
    return {m: [render(folder, m, 50 + k) for k in range(3)] for m in ("growing", "moving left")}


@pytest.fixture
def taught(tmp_path, clips) -> tuple[str, FeatureCache]:
    base = install_tiny_base(tmp_path)
    cache = FeatureCache(tmp_path / "features")
    for action, paths in clips.items():
        for path in paths:
            teaching.add_example("shapes", action, path, model=base, cache=cache)
    return base, cache


def test_adding_creates_the_set_and_caches_each_examples_features(taught, clips) -> None:
    _, cache = taught
    s = load_set("shapes")
    assert [a.name for a in s.actions] == ["growing", "moving left"] and s.example_count == 6
    assert s.base_model.model_id == "tiny_base"
    assert (cache.hits, cache.misses) == (0, 6)
    result = teaching.train_set("shapes", cache=cache)
    assert (result.cache_hits, result.cache_misses) == (6, 0)  # retraining decodes nothing


def test_a_trained_set_is_a_model_with_its_own_labels(taught, clips) -> None:
    _, cache = taught
    result = teaching.train_set("shapes", cache=cache)
    assert result.manifest.model_id == "shapes"
    classifier = VideoClassifier.open("shapes", "cpu")
    assert classifier.bundle.labels == ("growing", "moving left", NONE_LABEL)
    assert classifier.bundle.rejection_label == NONE_LABEL
    res = classifier.classify(clips["growing"][0])
    assert res.to_json()["rejected"] == (res.top5[0].label == NONE_LABEL)
    assert abs(float(res.probs.sum()) - 1) < 1e-4


def test_bad_input_is_one_sentence_and_leaves_the_set_unchanged(taught, tmp_path, clips) -> None:
    before = set_path("shapes").read_bytes()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    cases = [
        (lambda: teaching.add_example("shapes", "growing", junk), "cannot be read|not a video|no video|damaged"),
        (lambda: teaching.add_example("shapes", "growing", clips["growing"][0], 0.0, 0.5), "shorter than the model's window"),
        (lambda: teaching.add_example("shapes", "growing", clips["growing"][0], 5.0, 9.0), "not inside"),
        (lambda: teaching.add_example("shapes", "growing", tmp_path / "nope.mp4"), "no clip"),
        (lambda: teaching.add_example("shapes", "growing", clips["growing"][0], model="i3d_kinetics"),
         "is taught on tiny_base"),
    ]
    for call, words in cases:
        with pytest.raises(BadInput, match=words) as caught:
            call()
        assert caught.value.message.count(". ") == 0, caught.value.message  # one sentence
        assert set_path("shapes").read_bytes() == before
    teaching.remove("shapes", "moving left")
    with pytest.raises(BadInput, match="one action only"):
        teaching.train_set("shapes")
    teaching.remove("shapes", "growing")
    with pytest.raises(BadInput, match="no examples yet"):
        teaching.train_set("shapes")


def test_a_failed_save_keeps_the_previous_model(taught, clips, monkeypatch) -> None:
    _, cache = taught
    teaching.train_set("shapes", cache=cache)
    folder = model_install.installed_dir("shapes", "float")
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    teaching.add_example("shapes", "still", render(folder.parent.parent.parent, "still", 1), cache=cache)
    teaching.add_example("shapes", "still", render(folder.parent.parent.parent, "still", 2), cache=cache)

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt  # what a kill at the last moment looks like to the process

    monkeypatch.setattr(model_install, "replace_dir", killed)
    with pytest.raises(KeyboardInterrupt):
        teaching.train_set("shapes", cache=cache)
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert VideoClassifier.open("shapes").bundle.labels == ("growing", "moving left", NONE_LABEL)


def test_export_then_import_on_a_fresh_data_folder_gives_the_same_predictions(taught, clips, tmp_path,
                                                                                monkeypatch) -> None:
    _, cache = taught
    teaching.train_set("shapes", cache=cache)
    probe = clips["moving left"][1]
    here = VideoClassifier.open("shapes").classify(probe).probs
    exported = teaching.export_model("shapes", tmp_path)
    assert exported.name == "shapes-onnx-float.zip"
    monkeypatch.setenv("KINETOSCOPE_HOME", str(tmp_path / "other-machine"))
    with pytest.raises(BadInput, match="no action set"):
        load_set("shapes")
    manifest = teaching.import_model_zip(exported)
    assert (manifest.model_id, manifest.precision) == ("shapes", "float")
    there = VideoClassifier.open("shapes").classify(probe).probs
    np.testing.assert_allclose(there, here, atol=1e-6)
    assert load_set("shapes").example_count == 6  # the set comes along, for showing and retraining
    teaching.remove("shapes")
    assert not model_install.installed_dir("shapes", "float").exists() and not set_path("shapes").exists()
    assert os.environ["KINETOSCOPE_HOME"].endswith("other-machine")


def test_a_base_with_a_cpu_graph_gives_a_taught_model_with_one(tmp_path, clips) -> None:
    """Like the bundled w8a8 I3D: the taught model's CPU sessions run the base's CPU graph with the
    head on top (the features it was trained on), the NPU its main graph; export keeps both."""
    import zipfile

    import onnxruntime as ort

    from kinetoscope.engine.inference.session import ModelSession
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.modelfiles.model_store import resolve_model

    base = install_tiny_base(tmp_path, cpu_graph=True)
    cache = FeatureCache(tmp_path / "features")
    for action, paths in clips.items():
        for path in paths:
            teaching.add_example("w8", action, path, model=base, precision="w8a8", cache=cache)
    teaching.train_set("w8", cache=cache)
    taught, base_bundle = open_bundle(resolve_model("w8", "w8a8")), open_bundle(resolve_model(base, "w8a8"))
    assert taught.cpu_graph is not None and taught.cpu_graph.name == "w8_cpu.onnx"
    x = np.random.default_rng(3).random((1, 3, 16, 112, 112), dtype=np.float32)

    def features(path) -> np.ndarray:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["flat"], {"video": x})[0]

    assert np.allclose(ModelSession(taught, "cpu").features(x), features(base_bundle.cpu_graph), atol=1e-6)
    assert np.allclose(features(taught.onnx_path), features(base_bundle.onnx_path), atol=1e-6)
    assert not np.allclose(features(taught.onnx_path), features(taught.cpu_graph), atol=1e-3)
    exported = teaching.export_model("w8", tmp_path, "w8a8")
    with zipfile.ZipFile(exported) as archive:
        assert {"w8-onnx-w8a8/w8.onnx", "w8-onnx-w8a8/w8_cpu.onnx"} <= set(archive.namelist())
