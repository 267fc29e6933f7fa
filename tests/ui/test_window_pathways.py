"""A two-pathway (SlowFast-shaped) model in the window: each view's fast-pathway frames are shown,
and the frames its slow pathway also takes are marked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.engine.modelfiles.model_install import import_model
from kinetoscope.settings import SettingsStore
from kinetoscope.ui.main.clip_queue import ClipState
from model_factory import two_pathway_classifier, write_bundle_folder, zip_folder

SLOWFAST = {"recipe": {"sampling": {"every": 2}, "resize": {"short_side": 128}, "views": 2,
                       "pathways": [{"input": "slow", "frames": 4}, {"input": "fast", "frames": 16}]}}


def _classified_with(qapp: QApplication, make_window, folder: Path, model_id: str, clip: Path):  # noqa: ANN001, ANN202
    """Install the model in `folder` as a zip, choose it, and classify `clip` (2 views) in a new window."""
    import_model(zip_folder(folder, folder.parent / f"{model_id}-onnx-float.zip"))
    store = SettingsStore()
    store.save(replace(store.load(), model_id=model_id, precision="float"))
    window = make_window(views=2)
    window.open_paths([clip])
    wait_until(qapp, lambda: window.queue.state(clip.resolve()) in (ClipState.DONE, ClipState.FAILED),
               what=f"the classification with {model_id}")
    assert window.queue.state(clip.resolve()) is ClipState.DONE, window.errors.message
    return window


def test_the_strip_shows_the_fast_pathway_and_marks_the_slow_frames(qapp: QApplication, make_window, tmp_path: Path,
                                                                     sample_clip: Path) -> None:
    folder = write_bundle_folder(tmp_path / "src", two_pathway_classifier(7, seed=3), model_id="tiny_slowfast",
                                 softmax_applied=None, kinetoscope=SLOWFAST)
    window = _classified_with(qapp, make_window, folder, "tiny_slowfast", sample_clip)
    strip = window.clip_view.frame_strip
    assert [strip.thumbnail_count(v) for v in range(2)] == [16, 16]
    # PyTorchVideo's PackPathway: floor(linspace(0, 15, 4)).
    assert strip.marked_frames() == (0, 5, 10, 15)
    strip.resize(900, strip.heightForWidth(900))
    image = strip.grab().toImage()
    accent = strip.palette().highlight().color()

    def bar(f: int) -> QColor:
        r = strip.thumbnail_rect(0, f)
        return image.pixelColor(r.center().x(), r.bottom() - 1)

    assert all(bar(f) == accent for f in (0, 5, 10, 15))
    assert all(bar(f) != accent for f in (1, 4, 6, 14))


def test_spatial_crops_stand_grouped_under_their_temporal_view(qapp: QApplication, make_window, tmp_path: Path,
                                                              sample_clip: Path) -> None:
    """Three crops of two temporal views: one lane a crop, each temporal view's crops in one column,
    each named by its crop (while pending and once done)."""
    from model_factory import tiny_classifier

    folder = write_bundle_folder(tmp_path / "src", tiny_classifier(9, seed=2), model_id="three_crops",
                                 kinetoscope={"recipe": {"sampling": {"every": 2}, "resize": {"short_side": 112},
                                                         "spatial_crops": 3}})
    window = _classified_with(qapp, make_window, folder, "three_crops", sample_clip)
    timeline = window.clip_view.timeline
    assert timeline.view_count() == 6
    rects = [timeline.segment_rect(i) for i in range(6)]
    for t in (0, 3):                                  # a temporal view's crops: one column, three lanes
        assert rects[t].left() == rects[t + 1].left() == rects[t + 2].left()
        assert rects[t].top() < rects[t + 1].top() < rects[t + 2].top()
    assert rects[0].top() == rects[3].top() and rects[0].left() < rects[3].left()   # left crops share a lane
    assert [timeline._summary(i).split(" · ")[0] for i in range(3)] == [
        "View 1, left crop", "View 2, centre crop", "View 3, right crop"]
    # Shown again from the result, as when the clip is selected later: the same grouping.
    window.clip_view.show_result(window.clips.result_for(sample_clip.resolve(), window.controls.options()))
    assert [timeline.segment_rect(i) for i in range(6)] == rects
