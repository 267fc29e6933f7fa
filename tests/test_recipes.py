"""Input recipes (issue 12): where a model's recipe comes from, that it reaches the tensor, and that
every kind of video classifier runs end to end through the CLI, or is refused with one clear line.

The models are built here from tests/model_factory.py (`RECIPE_CASES`, `channel_probe`); nothing
is committed. CLI runs use the shared 28 fps clip, so every-2nd-frame and N-fps sampling space
frames differently and a wrong sampling shows.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from kinetoscope.engine.errors import ModelError
from kinetoscope.engine.media.preprocess import to_model_input
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.modelfiles.model_install import STAGING
from kinetoscope.engine.recipe import (AIHUB_224, RESNET_112, SYMMETRIC, UNIT, FrameSampling, GraphInput,
                                                  InputRecipe, Resize, ValueMapping, resolve_recipe)
from model_factory import (DECLARED_160, RECIPE_CASES, RecipeCase, channel_probe, tiny_classifier,
                           write_bundle_folder, zip_folder)
from test_cli import run_cli

CLIP = "arm_wrestling_340x256_28fps.mp4"
NATIVE_FPS = 28.0


def _resolve(crop: int | None = 112, frames: int | None = 16, *, layout: str = "ncthw",
             declared: dict[str, Any] | None = None, catalog: dict[str, Any] | None = None,
             probabilities: bool = True) -> InputRecipe:
    graph = GraphInput(layout, frames, (crop, crop))
    return resolve_recipe(graph, declared=declared, catalog=catalog, output_is_probabilities=probabilities,
                          model="m.zip")


# -- precedence: metadata over catalog over what the graph's size implies ------------------------

def test_the_graphs_size_implies_ai_hubs_two_recipes():
    resnet = _resolve(112)
    assert (resnet.sampling, resnet.resize, resnet.views, resnet.values) == \
        (FrameSampling(fps=15), Resize(size=(128, 171)), 5, UNIT)
    assert (resnet.frames, resnet.crop, resnet.origin, resnet.output) == (16, (112, 112), "graph", "probabilities")
    mae = _resolve(224, 32)
    assert (mae.sampling, mae.resize, mae.frames) == \
        (FrameSampling(every=2), Resize(short_side=256, antialias=True), 32)
    assert mae.input_shape == (1, 3, 32, 224, 224)
    assert _resolve(112, layout="nthwc").input_shape == (1, 16, 112, 112, 3)


def test_catalog_beats_the_graphs_size_and_metadata_beats_both():
    catalog = {"sampling": {"fps": 12}, "views": 4, "resize": {"short_side": 240}, "values": "symmetric"}
    from_catalog = _resolve(224, catalog=catalog)
    assert (from_catalog.sampling, from_catalog.views, from_catalog.resize.short_side, from_catalog.values,
            from_catalog.origin) == (FrameSampling(fps=12), 4, 240, SYMMETRIC, "catalog")
    declared = {"sampling": {"every": 3}, "views": 2, "resize": {"size": [250, 300]}, "values": "unit"}
    from_metadata = _resolve(224, catalog=catalog, declared=declared)
    assert (from_metadata.sampling, from_metadata.views, from_metadata.resize, from_metadata.values,
            from_metadata.origin) == (FrameSampling(every=3), 2, Resize(size=(250, 300)), UNIT, "metadata")


@pytest.mark.parametrize("declared, changed", [
    ({"views": 3}, {"views": 3}),
    ({"values": "symmetric"}, {"values": SYMMETRIC}),
    ({"values": {"mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225]}},
     {"values": ValueMapping((0.45, 0.45, 0.45), (0.225, 0.225, 0.225))}),
    ({"channels": "BGR"}, {"channels": "bgr"}),
    ({"output": "logits"}, {"output": "logits"}),
])
@pytest.mark.parametrize("crop", [112, 224])
def test_partial_metadata_changes_only_what_it_declares(crop, declared, changed):
    inferred = _resolve(crop)
    assert _resolve(crop, declared=declared) == replace(inferred, origin="metadata", **changed)


def test_partial_metadata_layers_over_the_catalog_field_by_field():
    catalog = {"sampling": {"fps": 12}, "views": 4, "resize": {"short_side": 240}}
    recipe = _resolve(224, catalog=catalog, declared={"views": 1})
    assert (recipe.sampling, recipe.views, recipe.resize.short_side) == (FrameSampling(fps=12), 1, 240)


def test_a_known_ai_hub_id_gets_its_catalog_recipe(tmp_path):
    # Video-MAE's catalog entry; the graph is 224 (which would imply the same) but the origin says which.
    bundle = open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, frames=16, size=224), model_id="video_mae"))
    assert bundle.recipe.origin == "catalog"
    assert bundle.recipe.sampling == FrameSampling(every=2) and bundle.recipe.resize.short_side == 256
    # A 112 graph the catalog does not know gets its recipe from its size alone.
    other = open_bundle(write_bundle_folder(tmp_path / "b", tiny_classifier(9), model_id="my_export"))
    assert other.recipe.origin == "graph" and other.recipe.sampling == FrameSampling(fps=15)


def test_the_output_is_logits_unless_the_model_or_metadata_says_probabilities():
    assert _resolve(probabilities=False).output == "logits"
    assert _resolve(probabilities=False, declared={"output": "probabilities"}).output == "probabilities"
    assert _resolve(probabilities=True, declared={"output": "logits"}).output == "logits"


def test_a_size_nothing_describes_names_what_to_declare():
    with pytest.raises(ModelError) as err:
        _resolve(160, 8)
    message = err.value.message
    assert "160x160" in message and "'sampling', 'resize'" in message
    assert '"kinetoscope"' in message and "metadata.json" in message
    # Declaring only one of them still names the other.
    with pytest.raises(ModelError, match="declare 'resize'"):
        _resolve(160, 8, declared={"sampling": {"fps": 10}})
    full = _resolve(160, 8, declared={"sampling": {"fps": 10}, "resize": {"short_side": 182}})
    assert full.crop == (160, 160) and full.resize.antialias  # short_side defaults to antialias
    assert full.views == 5 and full.values == UNIT and full.channels == "rgb"


def test_a_graph_of_unfixed_size_takes_frames_and_crop_from_metadata():
    dynamic = GraphInput("ncthw", None, (None, None))
    with pytest.raises(ModelError, match="'frames', 'crop'"):
        resolve_recipe(dynamic, declared={"sampling": {"fps": 15}, "resize": {"size": [128, 171]}}, catalog=None,
                       output_is_probabilities=True, model="m.zip")
    # Declaring a crop of 112 also picks the recipe a 112 crop implies.
    recipe = resolve_recipe(dynamic, declared={"frames": 8, "crop": [112, 112]}, catalog=None,
                            output_is_probabilities=True, model="m.zip")
    assert (recipe.frames, recipe.crop, recipe.sampling, recipe.input_shape) == \
        (8, (112, 112), FrameSampling(fps=15), (1, 3, 8, 112, 112))


@pytest.mark.parametrize("declared, words", [
    ({"layout": "nhwc"}, "layout 'nhwc'"),
    ({"layout": "nthwc"}, "declares layout 'nthwc'; the graph's input is 'ncthw'"),
    ({"sampling": {"fps": -3}}, "sampling {'fps': -3}"),
    ({"sampling": {"fps": 10, "every": 2}}, "sampling"),
    ({"sampling": {"every": 0}}, "sampling.every 0"),
    ({"resize": {"short_side": 256, "antialias": "yes"}}, "resize.antialias 'yes'"),
    ({"resize": {"size": [100, 100]}}, "smaller than its 112x112 crop"),
    ({"resize": {"short_side": 100}}, "short side 100 is smaller than its 112x112 crop"),
    ({"views": 0}, "views 0"),
    ({"views": True}, "views True"),
    ({"values": "imagenet"}, "values 'imagenet'"),
    ({"values": {"mean": [0.5, 0.5], "std": [0.5, 0.5, 0.5]}}, "values"),
    ({"values": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0, 0.5]}}, "values"),
    ({"channels": "rgba"}, "channels 'rgba'"),
    ({"output": "scores"}, "output 'scores'"),
    ({"colour": "rgb"}, "unknown input recipe key 'colour'"),
    ({"frames": 8}, "declares 8 frames per view; the graph takes 16"),
    ({"crop": [224, 224]}, "declares a 224x224 crop; the graph takes 112x112"),
])
def test_an_invalid_declaration_is_refused_with_what_is_wrong(declared, words):
    with pytest.raises(ModelError) as err:
        _resolve(112, declared=declared)
    assert words in err.value.message and err.value.message.startswith("m.zip")


def test_view_seconds_follow_the_sampling():
    assert _resolve(112).view_seconds(30.0) == pytest.approx(16 / 15)   # resampled: the clip's rate does not matter
    assert _resolve(112).view_seconds(6.0) == pytest.approx(16 / 15)
    assert _resolve(224).view_seconds(30.0) == pytest.approx(32 / 30)   # every 2nd of 16 frames
    assert _resolve(224, 32).view_seconds(25.0) == pytest.approx(64 / 25)
    every3 = _resolve(224, 8, declared={"sampling": {"every": 3}})
    assert every3.view_seconds(NATIVE_FPS) == pytest.approx(24 / 28)


def _torchvision_size(width: int, height: int, short: int) -> tuple[int, int]:
    """torchvision.transforms.functional._compute_resized_output_size for an int size, as (h, w)."""
    short_in, long_in = (width, height) if width <= height else (height, width)
    new_short, new_long = short, int(short * long_in / short_in)
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return new_h, new_w


@pytest.mark.parametrize("width, height, expected", [
    (340, 256, (256, 340)),     # landscape, already 256 high
    (1920, 1080, (256, 455)),   # 455.1 -> 455
    (426, 240, (256, 454)),     # 454.4 -> 454
    (240, 320, (341, 256)),     # portrait: 341.3 -> 341
    (1080, 1920, (455, 256)),
    (256, 256, (256, 256)),
    (64, 48, (256, 341)),       # enlarged: 341.3 -> 341
])
def test_short_side_resize_keeps_the_aspect_as_torchvision_does(width, height, expected):
    assert Resize(short_side=256).output_size(width, height) == expected == _torchvision_size(width, height, 256)


def test_short_side_resize_matches_torchvision_over_many_shapes():
    rng = np.random.default_rng(1)
    for width, height in rng.integers(16, 4000, (300, 2)):
        for short in (160, 182, 256):
            assert Resize(short_side=short).output_size(int(width), int(height)) == \
                _torchvision_size(int(width), int(height), short)


def test_a_fixed_size_resize_ignores_the_aspect():
    assert Resize(size=(128, 171)).output_size(240, 320) == (128, 171)
    assert Resize(size=(128, 171)).output_size(1920, 1080) == (128, 171)


def _redeclared(recipe: InputRecipe) -> InputRecipe:
    """The recipe rebuilt from its own JSON (as `classify --json` reports it), declared in metadata."""
    data = recipe.to_json()
    del data["origin"]
    graph = GraphInput(recipe.layout, recipe.frames, recipe.crop)
    return resolve_recipe(graph, declared=data, catalog=None, output_is_probabilities=True, model="m.zip")


@pytest.mark.parametrize("declared", [
    DECLARED_160,
    {**DECLARED_160, "resize": {"short_side": 182, "antialias": True}},
    {**DECLARED_160, "resize": {"size": [170, 200], "antialias": True}},
    {**DECLARED_160, "values": "symmetric", "channels": "rgb", "output": "probabilities"},
])
def test_a_recipes_json_describes_it_exactly(declared):
    recipe = _resolve(160, 8, declared=declared)
    assert _redeclared(recipe) == recipe


@pytest.mark.parametrize("crop", [112, 224])
def test_an_inferred_recipes_json_describes_it_exactly(crop):
    assert _redeclared(_resolve(crop)) == replace(_resolve(crop), origin="metadata")


def test_the_built_in_recipes_are_what_the_readme_says():
    assert RESNET_112 == {"sampling": {"fps": 15}, "views": 5, "resize": {"size": [128, 171]}, "values": "unit"}
    assert AIHUB_224 == {"sampling": {"every": 2}, "views": 5, "resize": {"short_side": 256, "antialias": True},
                         "values": "unit"}


# -- the recipe reaches the tensor ----------------------------------------------------------------

def _crops(frames: int, size: int) -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (frames, size, size, 3), dtype=np.uint8)


def test_to_model_input_follows_a_real_bundles_layout(tmp_path):
    bundle = open_bundle(RECIPE_CASES["channels_last"].write(tmp_path))
    crops = _crops(16, 112)
    tensor = to_model_input(crops, bundle.recipe)
    assert tensor.shape == bundle.input.shape == (1, 16, 112, 112, 3) and tensor.flags.c_contiguous
    np.testing.assert_allclose(tensor[0], crops / 255.0, atol=1e-6)
    ncthw = to_model_input(crops, open_bundle(RECIPE_CASES["logits"].write(tmp_path / "b")).recipe)
    np.testing.assert_allclose(ncthw[0], crops.transpose(3, 0, 1, 2) / 255.0, atol=1e-6)


def test_to_model_input_applies_mean_std_per_channel():
    recipe = _resolve(160, 8, declared={**DECLARED_160, "channels": "rgb"})
    crops = _crops(8, 160)
    tensor = to_model_input(crops, recipe)
    for c, (mean, std) in enumerate(zip(DECLARED_160["values"]["mean"], DECLARED_160["values"]["std"])):
        np.testing.assert_allclose(tensor[0, c], (crops[..., c] / 255.0 - mean) / std, atol=1e-5)


def test_to_model_input_puts_blue_first_for_a_bgr_model():
    recipe = _resolve(160, 8, declared={**DECLARED_160, "values": "unit"})
    crops = _crops(8, 160)
    tensor = to_model_input(crops, recipe)
    for c, rgb_channel in enumerate((2, 1, 0)):
        np.testing.assert_allclose(tensor[0, c], crops[..., rgb_channel] / 255.0, atol=1e-6)


def test_a_bgr_models_mean_and_std_are_given_in_rgb_order_as_the_readme_says():
    recipe = _resolve(160, 8, declared=DECLARED_160)  # bgr, mean [r, g, b] = [0.1, 0.2, 0.3]
    crops = _crops(8, 160)
    tensor = to_model_input(crops, recipe)
    mean, std = DECLARED_160["values"]["mean"], DECLARED_160["values"]["std"]
    for c, rgb_channel in enumerate((2, 1, 0)):
        expected = (crops[..., rgb_channel] / 255.0 - mean[rgb_channel]) / std[rgb_channel]
        np.testing.assert_allclose(tensor[0, c], expected, atol=1e-5)


COLOUR = (200, 100, 50)  # a solid RGB colour whose channels differ clearly


@pytest.fixture(scope="module")
def solid_clip(tmp_path_factory) -> Path:
    """3 s of one solid colour at 30 fps, losslessly coded, so the model input is known exactly."""
    path = tmp_path_factory.mktemp("clips") / "solid.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv444p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        picture = np.empty((64, 96, 3), np.uint8)
        picture[:] = COLOUR
        for _ in range(90):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode())
    return path


@pytest.mark.parametrize("layout, recipe, expected", [
    # Channel-last input, mean/std: each channel is (x / 255 - mean) / std, in RGB order.
    ("nthwc", {"values": {"mean": [0.1, 0.2, 0.3], "std": [0.5, 0.25, 0.2]}, "channels": "rgb"},
     [(200 / 255 - 0.1) / 0.5, (100 / 255 - 0.2) / 0.25, (50 / 255 - 0.3) / 0.2]),
    # Channel-first input, BGR: blue comes first.
    ("ncthw", {"values": "unit", "channels": "bgr"}, [50 / 255, 100 / 255, 200 / 255]),
    ("ncthw", {"values": "symmetric", "channels": "rgb"}, [(c / 255 - 0.5) / 0.5 for c in COLOUR]),
])
def test_the_declared_recipe_reaches_the_models_input(tmp_path, solid_clip, layout, recipe, expected):
    """`channel_probe` reports the mean of each input channel: any wrong layout, channel order or
    value mapping in the engine changes what it reports."""
    declared = {"sampling": {"fps": 10}, "views": 1, "resize": {"short_side": 160}, "output": "probabilities",
                "layout": layout, **recipe}
    folder = write_bundle_folder(tmp_path, channel_probe(layout=layout), model_id="probe",
                                 labels=["tensor channel 0", "tensor channel 1", "tensor channel 2"],
                                 kinetoscope={"format": 1, "recipe": declared})
    proc = run_cli("classify", str(solid_clip), "--model", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    seen = {p["index"]: p["prob"] for p in result["top5"]}
    # Lossless x264 still converts RGB -> YUV -> RGB: allow 3 levels in 255, scaled by the std.
    values = recipe["values"]
    std = values["std"] if isinstance(values, dict) else [0.5 if values == "symmetric" else 1.0] * 3
    for c in range(3):
        assert seen[c] == pytest.approx(expected[c], abs=3 / 255 / std[c] + 1e-4), (c, seen)
    assert result["model"]["input_recipe"]["layout"] == layout


# -- every kind of classifier, end to end through the CLI ----------------------------------------

def _label_set(case: RecipeCase) -> set[str]:
    names = case.label_set()
    if names is None:
        return {line.strip() for line in bundled_data.kinetics_labels_file().read_text().splitlines() if line.strip()}
    return set(names)


def check_views(case: RecipeCase, views: list[dict[str, Any]], native_fps: float) -> None:
    """Each view holds the model's frames per view, spaced as its sampling says."""
    for view in views:
        times, sources = view["frame_times_s"], view["source_indices"]
        assert len(times) == len(sources) == case.frames
        steps = np.diff(times)
        if "every" in case.sampling:
            every = case.sampling["every"]
            assert set(np.diff(sources).tolist()) == {every}
            np.testing.assert_allclose(steps, every / native_fps, atol=2e-4)
            tick = every / native_fps
        else:
            # Resampled to fps: each frame is the native frame nearest its tick, so the native
            # frames are 1/fps apart on average, each step a whole number of native frames.
            tick = 1 / case.sampling["fps"]
            step = native_fps * tick
            assert set(np.diff(sources).tolist()) <= {math.floor(step), math.ceil(step)}
            np.testing.assert_allclose(times, np.array(sources) / native_fps, atol=2e-4)
            assert (times[-1] - times[0]) / (case.frames - 1) == pytest.approx(
                tick, abs=1 / (native_fps * (case.frames - 1)) + 2e-4)
        assert view["end_s"] - view["start_s"] == pytest.approx(case.frames * tick, abs=2e-4)


def check_top5(case: RecipeCase, top5: list[dict[str, Any]]) -> None:
    """Top 5 from the model's own label set, as probabilities (whatever the graph outputs)."""
    assert len(top5) == min(5, case.classes)
    assert {p["label"] for p in top5} <= _label_set(case)
    probs = [p["prob"] for p in top5]
    assert all(0.0 <= p <= 1.0 for p in probs) and probs == sorted(probs, reverse=True)
    assert sum(probs) <= 1.0 + 1e-5
    if case.classes <= 5:  # the top 5 is every class: a missing softmax would not sum to 1
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)


@pytest.fixture
def case_zip(tmp_path, request) -> tuple[RecipeCase, Path]:
    case = RECIPE_CASES[request.param]
    folder = case.write(tmp_path / "src")
    return case, zip_folder(folder, tmp_path / f"{case.model_id}-onnx-float.zip")


@pytest.mark.parametrize("case_zip", list(RECIPE_CASES), indirect=True)
def test_each_kind_of_model_classifies_through_the_cli(media, case_zip):
    case, zip_path = case_zip
    # A recipe that declares its views is run with them; the others with 2, to stay quick.
    views = [] if case.kinetoscope and "recipe" in case.kinetoscope else ["--views", "2"]
    proc = run_cli("classify", str(media / CLIP), "--model", str(zip_path), "--json", *views)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    recipe = result["model"]["input_recipe"]
    assert (recipe["frames"], recipe["crop"], recipe["layout"]) == (case.frames, [case.size] * 2, case.layout)
    assert recipe["sampling"] == case.sampling
    assert {k: v for k, v in recipe["resize"].items() if k != "antialias"} == \
        {k: v for k, v in case.resize.items() if k != "antialias"}
    assert recipe["output"] == ("probabilities" if case.softmax else "logits")
    assert result["model"]["labels_note"] == ""
    assert len(result["views"]) == 2
    check_views(case, result["views"], NATIVE_FPS)
    check_top5(case, result["top5"])
    for view in result["views"]:
        check_top5(case, view["top5"])


def test_a_declared_recipe_survives_import_and_runs_by_id(media, tmp_path):
    case = RECIPE_CASES["declared_160"]
    zip_path = zip_folder(case.write(tmp_path / "src"), tmp_path / "declared_160-onnx-float.zip")
    proc = run_cli("models", "import", str(zip_path))
    assert proc.returncode == 0 and "Imported declared_160 (float)" in proc.stdout, proc.stderr
    proc = run_cli("classify", str(media / CLIP), "--model", "declared_160")
    assert proc.returncode == 0, proc.stderr
    assert "8 frames at 10 fps, 2 views, short side 182, centre crop 160x160, mean/std normalised, BGR" in proc.stdout
    assert proc.stdout.count(" s  action ") == 2


# -- bad bundles: one line, exit 2, nothing installed --------------------------------------------

def _nine(**kw: Any) -> dict[str, Any]:
    return {"model": tiny_classifier(9), **kw}


BAD_BUNDLES: dict[str, tuple[dict[str, Any], str]] = {
    "undeclared_160": ({"model": tiny_classifier(9, frames=8, size=160)},
                       "takes 160x160 frames, for which Kinetoscope knows no input recipe: declare 'sampling', "
                       "'resize' under \"kinetoscope\""),
    "short_labels": (_nine(labels=["run", "jump"]), "has 2 class names but the model has 9 outputs"),
    "short_metadata_labels": (_nine(kinetoscope={"format": 1, "labels": ["run"]}),
                              "kinetoscope.labels in metadata.json has 1 class names but the model has 9 outputs"),
    "layout_nhwc": (_nine(kinetoscope={"recipe": {"layout": "nhwc"}}), "input recipe layout 'nhwc'"),
    "negative_fps": (_nine(kinetoscope={"recipe": {"sampling": {"fps": -3}}}), "input recipe sampling {'fps': -3}"),
    "unknown_key": (_nine(kinetoscope={"recipe": {"fps": 10}}), "unknown input recipe key 'fps'"),
    "unknown_top_key": (_nine(kinetoscope={"recipes": {}}), "unknown key 'recipes' under \"kinetoscope\""),
    "newer_format": (_nine(kinetoscope={"format": 2}), "format 2 is newer than this Kinetoscope understands"),
    "layout_contradicts": (_nine(kinetoscope={"recipe": {"layout": "nthwc"}}),
                           "declares layout 'nthwc'; the graph's input is 'ncthw'"),
    "crop_contradicts": (_nine(kinetoscope={"recipe": {"crop": [224, 224]}}),
                         "declares a 224x224 crop; the graph takes 112x112"),
}


def _one_line(proc, words: str) -> None:
    """Exit 2 and one error line (`models import` also reports its stages on stderr, before it)."""
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.strip().splitlines() if line.startswith("kinetoscope: ")]
    assert len(errors) == 1 and proc.stderr.strip().endswith(errors[0]), proc.stderr
    assert words in errors[0], errors[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("name", list(BAD_BUNDLES))
def test_a_bad_bundle_is_refused_in_one_line_and_nothing_is_installed(tmp_path, kinetoscope_home, name):
    kw, words = BAD_BUNDLES[name]
    folder = write_bundle_folder(tmp_path / "src", model_id=name, **kw)
    zip_path = zip_folder(folder, tmp_path / f"{name}-onnx-float.zip")
    _one_line(run_cli("models", "import", str(zip_path)), words)
    listed = json.loads(run_cli("models", "list", "--json").stdout)["models"]
    assert name not in {m["id"] for m in listed}
    assert {m["status"] for m in listed} == {"not installed", "bundled"}  # the demo model ships inside
    models = kinetoscope_home / "models"
    left = [p for p in models.rglob("*") if p.name != STAGING] if models.is_dir() else []
    assert left == [], left


@pytest.mark.parametrize("name", ["undeclared_160", "crop_contradicts"])
def test_classify_refuses_a_bad_bundle_in_one_line(media, tmp_path, name):
    kw, words = BAD_BUNDLES[name]
    folder = write_bundle_folder(tmp_path / "src", model_id=name, **kw)
    _one_line(run_cli("classify", str(media / CLIP), "--model", str(folder), "--json"), words)
