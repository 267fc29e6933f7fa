"""Live camera classification with a taught model: a synthetic camera showing a taught motion is
named by it, one showing no motion comes back as none of the taught actions (tiny base: the motion
numbers inside the taught graph do the telling apart)."""

from __future__ import annotations

import threading
import time

from kinetoscope.engine.inference.live import LiveClassifier, LiveConfig, LiveResult
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.frame_source import SyntheticSource
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.modelfiles.model_store import resolve_model
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.feature_cache import FeatureCache
from kinetoscope.engine.teach.probe import NONE_LABEL
from motions import render
from tiny_base import install_tiny_base


def _live_labels(motion: str, bundle, seconds: float = 5.0) -> list[LiveResult]:
    results: list[LiveResult] = []
    ready = threading.Event()
    live = LiveClassifier(lambda: ModelSession(bundle, "cpu"), LiveConfig(every_n=4), on_result=results.append,
                          on_ready=lambda s: ready.set())
    source = SyntheticSource(motion, width=320, height=240, fps=30, realtime=True)
    live.start()
    assert ready.wait(30), "the taught model did not open"
    source.start(live.push)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(results) < 6:
            time.sleep(0.05)
    finally:
        source.stop()
        assert live.stop()
    assert len(results) >= 3, f"only {len(results)} windows classified"
    return results


def test_a_taught_model_names_a_live_camera_s_motion_and_rejects_a_still_one(tmp_path) -> None:
    base = install_tiny_base(tmp_path)
    cache = FeatureCache(tmp_path / "features")
    for motion in ("moving left", "growing"):
        for k in range(3):
            teaching.add_example("live", motion, render(tmp_path, motion, 60 + k), model=base, cache=cache)
    teaching.train_set("live", cache=cache)
    bundle = open_bundle(resolve_model("live", "float"))
    moving = _live_labels("moving left", bundle)
    assert moving[-1].top5[0].label == "moving left", moving[-1].top5
    still = _live_labels("still", bundle)
    assert still[-1].top5[0].label == NONE_LABEL, still[-1].top5
