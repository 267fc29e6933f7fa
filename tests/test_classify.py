"""The classify pipeline on real clips: views, callbacks, cancellation, averaging."""

from __future__ import annotations

import numpy as np
import pytest

from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.inference.classify import classify_clip
from kinetoscope.engine.errors import BadVideo, Cancelled
from kinetoscope.engine.media.preprocess import center_crop, to_model_input
from kinetoscope.engine.media.sampling import ClipSampler
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.video import VideoReader, probe
from model_factory import tiny_classifier, write_bundle_folder
from recipes import RESNET, recipe_for


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = write_bundle_folder(tmp_path_factory.mktemp("m"), tiny_classifier(9, seed=5))
    return ModelSession(open_bundle(folder), "cpu")


def test_views_callbacks_and_average(media, session):
    clip = media / "clip_340x256_30fps.mp4"
    seen, progress = [], []
    result = classify_clip(clip, session, views=4, on_view=seen.append, on_progress=progress.append,
                           keep_crops=True)
    assert [v.index for v in seen] == [0, 1, 2, 3] and list(result.views) == seen
    assert [(p.views_done, p.views_total) for p in progress] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert np.allclose(result.probs, np.mean([v.probs for v in seen], axis=0))
    assert result.top5[0].index == int(np.argmax(result.probs))
    assert [p.prob for p in result.top5] == sorted((p.prob for p in result.top5), reverse=True)
    first = seen[0]
    assert first.crops.shape == (16, 112, 112, 3) and first.crops.dtype == np.uint8
    assert len(first.frame_times_s) == 16 and first.start_s == 0.0
    assert all(b > a for a, b in zip(first.frame_times_s, first.frame_times_s[1:]))
    assert result.timings.inference_ms > 0 and result.timings.decode_ms > 0
    assert result.clip_duration_s == pytest.approx(10.0, abs=0.1)


def test_each_view_gets_exactly_the_models_input(media, session):
    """Running the model by hand on the reader's frames gives the pipeline's per-view output."""
    clip = media / "clip_426x240_29.97fps.mp4"
    result = classify_clip(clip, session, views=2)
    info = probe(clip)
    plan = ClipSampler(recipe_for(views=2)).plan(info)
    with VideoReader(clip, resize=RESNET.resize) as reader:
        for view, frames in zip(result.views, reader.read_views(plan.views)):
            expected = session.run(to_model_input(center_crop(frames.rgb, RESNET.crop), RESNET))
            assert np.allclose(view.probs, expected, atol=1e-6)


def test_cancel_between_views(media, session):
    token = CancelToken()
    seen = []

    def on_view(view):
        seen.append(view)
        token.cancel()

    with pytest.raises(Cancelled):
        classify_clip(media / "clip_340x256_30fps.mp4", session, on_view=on_view, cancel=token)
    assert len(seen) == 1


def test_a_bad_clip_raises_bad_video(tmp_path, session):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\0" * 4096)
    with pytest.raises(BadVideo):
        classify_clip(bad, session)
