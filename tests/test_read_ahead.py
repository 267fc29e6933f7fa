"""Views read ahead (classify's and the scan's reader): the model's crops of each view, in order,
read while the consumer works on the one before, at most `depth` ahead, and stopped by a cancel."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import Cancelled
from kinetoscope.engine.inference.classify import classify_clip
from kinetoscope.engine.inference.session import CpuConfig, ModelSession
from kinetoscope.engine.media.preprocess import center_crop
from kinetoscope.engine.media.read_ahead import depth_for, read_ahead
from kinetoscope.engine.media.sampling import ClipSampler
from kinetoscope.engine.media.video import VideoReader
from kinetoscope.engine.modelfiles.bundle import open_bundle
from model_factory import tiny_classifier, write_bundle_folder
from recipes import RESNET, recipe_for


def test_each_view_arrives_as_the_models_crop_of_the_readers_frames(media):
    clip = media / "clip_426x240_29.97fps.mp4"
    with VideoReader(clip, resize=RESNET.resize) as reader:
        views = ClipSampler(recipe_for(views=4)).plan(reader.info).views
        expected = [np.array(center_crop(v.rgb, RESNET.crop)) for v in reader.read_views(views)]
    with VideoReader(clip, resize=RESNET.resize) as reader, \
            read_ahead(reader.read_views(views), RESNET.crop) as ahead:
        got = list(ahead)
    assert [g.view for g in got] == list(views)
    for g, e in zip(got, expected):
        assert g.crops.flags.c_contiguous and g.crops.shape == (16, 112, 112, 3)
        assert np.array_equal(g.crops, e) and g.read_s > 0


@pytest.mark.parametrize("depth", [1, 2])
def test_the_next_views_are_read_while_the_consumer_works_and_no_further(media, depth):
    read: list[int] = []
    with VideoReader(media / "clip_340x256_30fps.mp4", resize=RESNET.resize) as reader:
        views = ClipSampler(recipe_for(views=8)).plan(reader.info).views

        def counted():
            for v in reader.read_views(views):
                read.append(v.view.index)
                yield v

        with read_ahead(counted(), RESNET.crop, depth=depth) as ahead:
            assert next(ahead).view.index == 0
            # The consumer is busy with view 0 (as the model would be): the next `depth` are read
            # meanwhile, and no more (a view is read only when it has room to wait).
            deadline = time.monotonic() + 20
            while len(read) < 1 + depth and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.5)  # ample time to run further ahead, were it unbounded
            assert len(read) == 1 + depth
            assert [v.view.index for v in ahead] == list(range(1, 8))


def test_a_cancelled_classification_leaves_no_reader_running(media, tmp_path):
    # One intra-op thread leaves a core to read on (on any machine with two), so classify reads ahead.
    session = ModelSession(open_bundle(write_bundle_folder(tmp_path, tiny_classifier(9, seed=5))), "cpu",
                           cpu=CpuConfig(threads=1))
    token = CancelToken()
    reading: list[bool] = []

    def on_view(view):
        reading.append(any(t.name == "classify read-ahead" for t in threading.enumerate()))
        token.cancel()

    with pytest.raises(Cancelled):
        classify_clip(media / "clip_340x256_30fps.mp4", session, views=6, on_view=on_view, cancel=token)
    assert reading == [os.cpu_count() > 1]
    assert not [t for t in threading.enumerate() if t.name == "classify read-ahead"]


def test_reading_ahead_needs_a_core_the_model_leaves_free(media):
    cores = os.cpu_count() or 1
    assert depth_for(None) == 1  # the model runs on the NPU: every core is free to decode
    assert depth_for(cores) == 0 and depth_for(cores + 4) == 0
    assert depth_for(cores - 1) == (1 if cores > 1 else 0)
    # Without a thread the same views come out, read on the caller's thread when asked for.
    clip = media / "clip_426x240_29.97fps.mp4"
    with VideoReader(clip, resize=RESNET.resize) as reader:
        views = ClipSampler(recipe_for(views=3)).plan(reader.info).views
        with read_ahead(reader.read_views(views), RESNET.crop) as ahead:
            threaded = [v.crops for v in ahead]
    with VideoReader(clip, resize=RESNET.resize, crop=RESNET.crop) as reader:
        before = set(threading.enumerate())
        with read_ahead(reader.read_views(views), RESNET.crop, depth=0) as ahead:
            inline = [v.crops for v in ahead]
            assert set(threading.enumerate()) == before
    assert len(inline) == 3 and all(np.array_equal(a, b) for a, b in zip(threaded, inline))
