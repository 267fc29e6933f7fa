"""The model catalog: the bundled file, overrides for mirrors and tests, and the model list."""

from __future__ import annotations

import json
import re

import pytest

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import release_zip, write_catalog
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.catalog import CatalogError, UnknownModel, default_catalog_path, load_catalog, parse_catalog
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.modelfiles.model_library import Status, check_removable, list_models
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID

AI_HUB = re.compile(r"^https://qaihub-public-assets\.s3\.us-west-2\.amazonaws\.com/qai-hub-models/models/"
                    r"(?P<id>[a-z0-9_]+)/releases/v0\.(47|65)\.0/(?P=id)-onnx-(?P<p>float|w8a8|w8a16)\.zip$")


def test_bundled_catalog_lists_ai_hubs_kinetics_models_with_their_recipes():
    catalog = load_catalog(default_catalog_path())
    assert catalog.release == "v0.47.0"
    assert default_catalog_path().read_text().count("v0.47.0") == 1  # bumping a release is one edit
    ids = {e.model_id for e in catalog.entries}
    assert ids == {"resnet_2plus1d", "resnet_mixed", "resnet_3d", "video_mae"} and DEMO_MODEL_ID not in ids
    mae = catalog.find("video_mae", "w8a16")
    assert mae.release == "v0.65.0" and mae.latency_text() == "492 ms" and "/v0.65.0/" in mae.url
    assert {e.precision for e in catalog.entries if e.model_id == "video_mae"} == {"float", "w8a16"}
    assert mae.recipe == {"sampling": {"every": 2}, "views": 5, "resize": {"short_side": 256, "antialias": True},
                          "values": "unit"}
    assert catalog.find("resnet_3d", "w8a8").recipe["sampling"] == {"fps": 15}
    for entry in catalog.entries:
        match = AI_HUB.match(entry.url)
        assert match and match["id"] == entry.model_id and match["p"] == entry.precision, entry.url
    r2 = catalog.find("resnet_2plus1d", "w8a8")
    assert r2.name == "ResNet-2Plus1D" and r2.latency_text() == "4.2–4.5 ms"
    assert catalog.find("resnet_3d", "float").latency_text() == "13.1 ms"
    assert "w8a16" in catalog.find("resnet_mixed", "w8a8").notes


def test_unknown_model_or_precision_is_bad_input_naming_what_exists():
    catalog = load_catalog(default_catalog_path())
    with pytest.raises(UnknownModel, match="Available: resnet_2plus1d, resnet_3d, resnet_mixed"):
        catalog.find("resnet_50", "float")
    with pytest.raises(UnknownModel, match=r"no 'w8a16' release \(available: float, w8a8\)") as err:
        catalog.find("resnet_3d", "w8a16")
    assert isinstance(err.value, BadInput)


def test_environment_points_at_a_mirror_file(tmp_path, monkeypatch, http_server):
    path = write_catalog(tmp_path / "mirror.json", http_server, {"tiny": ("float", "w8a8")})
    monkeypatch.setenv("KINETOSCOPE_CATALOG", str(path))
    catalog = load_catalog()
    assert [e.url for e in catalog.entries] == [http_server.url("/tiny/v0.47.0/tiny-onnx-float.zip"),
                                               http_server.url("/tiny/v0.47.0/tiny-onnx-w8a8.zip")]


def test_environment_points_at_a_catalog_url(tmp_path, monkeypatch, http_server):
    path = write_catalog(tmp_path / "c.json", http_server, {"tiny": ("float",)})
    monkeypatch.setenv("KINETOSCOPE_CATALOG", http_server.serve("/catalog.json", path.read_bytes()))
    assert load_catalog().find("tiny", "float").release == "v0.47.0"


def test_per_precision_url_overrides_the_template():
    catalog = parse_catalog({"release": "v1", "url_template": "https://a.example/{id}-{precision}.zip",
                             "models": [{"id": "m", "precisions": {"float": {},
                                                                  "w8a8": {"url": "https://b.example/q.zip"}}}]})
    assert [e.url for e in catalog.entries] == ["https://a.example/m-float.zip", "https://b.example/q.zip"]


@pytest.mark.parametrize("text", ["{not json", json.dumps({"release": "v1"}), json.dumps([]),
                                  json.dumps({"release": "v1", "models": [{"id": "../x", "precisions": {"float": {}}}],
                                              "url_template": "https://a/{id}"})])
def test_damaged_catalogs_are_a_clear_error(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(CatalogError, match="catalog"):
        load_catalog(path)


def test_model_list_shows_the_bundled_demo_as_installed_and_not_removable(tmp_path, monkeypatch, http_server):
    bundled = tmp_path / "app_models"
    bundled.mkdir()
    zip_path = release_zip(tmp_path, DEMO_MODEL_ID, "float", external_data=False)
    zip_path.rename(bundled / f"{DEMO_MODEL_ID}-onnx-float.zip")
    monkeypatch.setattr(bundled_data, "models_dir", lambda: bundled)
    catalog = load_catalog(write_catalog(tmp_path / "c.json", http_server, {"tiny": ("float",)}))
    rows = {r.key: r for r in list_models(catalog)}
    assert rows[("tiny", "float")].status is Status.NOT_INSTALLED
    demo = rows[(DEMO_MODEL_ID, "float")]
    assert demo.status is Status.BUNDLED and demo.usable and not demo.removable and demo.disk_bytes > 0
    with pytest.raises(BadInput, match="ships with Kinetoscope"):
        check_removable(demo)


def test_every_catalog_model_has_a_published_accuracy_with_its_source_and_its_measure():
    catalog = load_catalog(default_catalog_path())
    for precision in ("float", "w8a8"):
        r2 = catalog.find("resnet_2plus1d", precision)
        video, clip = r2.accuracies
        assert (video.top1, video.measure, clip.top1, clip.top5, clip.measure) == (75.0, "video", 57.5, 78.81, "clip")
        assert "AI Hub" in video.source and "torchvision" in clip.source and r2.accuracy is video
        assert r2.accuracy_text() == "75.0 % video, 57.5 % clip"
    clips = {e.model_id: e.accuracies[-1] for e in catalog.entries if e.model_id in ("resnet_mixed", "resnet_3d")}
    assert {(m, a.top1, a.top5, a.measure) for m, a in clips.items()} == {
        ("resnet_mixed", 53.9, 76.29, "clip"), ("resnet_3d", 52.75, 75.45, "clip")}
    mae = catalog.find("video_mae", "w8a16")
    assert mae.accuracy.top1 == 81.5 and "77.5 %" in mae.accuracy.note and mae.accuracy.measure == "video"
    assert all(e.accuracies and all(a.source for a in e.accuracies) for e in catalog.entries)
    i3d, = catalog.accuracies("i3d_kinetics")  # the bundled model: DeepMind's published figure
    assert (i3d.top1, i3d.measure) == (71.1, "video") and "DeepMind" in i3d.source


def test_sizes_are_estimated_from_the_parameter_count_where_the_catalog_gives_none():
    catalog = load_catalog(default_catalog_path())
    assert catalog.find("resnet_mixed", "float").estimated_size_mb() == 47
    assert catalog.find("resnet_3d", "w8a8").estimated_size_mb() == 33
    # The estimate agrees with the one published size it can be checked against (~30.8 MB).
    assert abs(catalog.find("resnet_2plus1d", "w8a8").estimated_size_mb() - 30.8) < 2


@pytest.mark.parametrize("accuracy", [{"top1": 75.0}, {"top1": 175.0, "source": "x"}, {"top1": "high", "source": "x"},
                                      "75 %", {"top1": 75.0, "source": "x", "measure": "views"},
                                      [{"top1": 75.0, "source": "x"}, {"top1": 57.5}]])
def test_an_accuracy_needs_a_percentage_and_a_source(accuracy):
    data = {"release": "v1", "url_template": "https://example.com/{id}-{precision}.zip",
            "models": [{"id": "m", "accuracy": accuracy, "precisions": {"float": {}}}]}
    with pytest.raises(CatalogError):
        parse_catalog(data)
