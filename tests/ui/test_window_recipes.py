"""The window runs every kind of video classifier (issue 12): each hand-built model of
`model_factory.RECIPE_CASES`, imported as a user would, classifies a real clip; the frame strip
shows that model's frames per view, cut at its crop size, and the top 5 uses its labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.model_install import import_model
from kinetoscope.settings import SettingsStore
from kinetoscope.ui.main.clip_queue import ClipState
from model_factory import RECIPE_CASES, RecipeCase, zip_folder

VIEWS = 2


def _label_set(case: RecipeCase) -> set[str]:
    names = case.label_set()
    if names is None:
        return {line.strip() for line in bundled_data.kinetics_labels_file().read_text().splitlines() if line.strip()}
    return set(names)


@pytest.mark.parametrize("model_id", list(RECIPE_CASES))
def test_the_window_runs_each_kind_of_model(qapp: QApplication, make_window, tmp_path: Path, sample_clip: Path,
                                           model_id: str) -> None:
    case = RECIPE_CASES[model_id]
    zip_path = zip_folder(case.write(tmp_path / "src"), tmp_path / f"{model_id}-onnx-float.zip")
    manifest = import_model(zip_path)
    assert (manifest.model_id, manifest.precision) == (model_id, "float")
    store = SettingsStore()
    store.save(replace(store.load(), model_id=model_id, precision="float"))
    window = make_window(views=VIEWS)
    assert (window.controls.options().model_id, window.controls.options().precision) == (model_id, "float")
    crops: dict[int, tuple[int, ...]] = {}
    window.runner.view_ready.connect(lambda _clip, view, _top5, _total: crops.__setitem__(view.index, view.crops.shape))

    window.open_paths([sample_clip])
    wait_until(qapp, lambda: window.queue.state(sample_clip.resolve()) in (ClipState.DONE, ClipState.FAILED),
               what=f"the classification with {model_id}")
    assert window.queue.state(sample_clip.resolve()) is ClipState.DONE, window.errors.message

    preds = window.clip_view.predictions.predictions()
    assert len(preds) == min(5, case.classes)
    assert {p.label for p in preds} <= _label_set(case)
    assert all(0.0 <= p.prob <= 1.0 for p in preds) and sum(p.prob for p in preds) <= 1.0 + 1e-5
    if case.classes <= 5:  # all classes shown: logits must have become probabilities
        assert sum(p.prob for p in preds) == pytest.approx(1.0, abs=1e-5)
    strip = window.clip_view.frame_strip
    assert strip.view_count() == window.clip_view.timeline.view_count() == VIEWS
    assert [strip.thumbnail_count(i) for i in range(VIEWS)] == [case.frames] * VIEWS
    assert crops == {i: (case.frames, case.size, case.size, 3) for i in range(VIEWS)}
    assert window.status_text.text().startswith("Ran on CPU")
