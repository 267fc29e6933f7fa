"""Live mode in the camera view, fed by a synthetic camera through Qt's capture session: the
live top-5 with the demo model, dropping windows behind a slow model, stopping, failures."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from helpers import wait_until
from locations import REPO
from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.media.frame_source import SyntheticSource
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID, resolve_model
from kinetoscope.engine.inference.session import ModelSession

SCREENSHOT = REPO / "resources" / "screenshots" / "live_synthetic_moving_left.png"


def _real_demo_model() -> bool:
    return bool(sorted(bundled_data.models_dir().glob(f"{DEMO_MODEL_ID}-onnx-*.zip")))


@pytest.fixture
def view(make_camera_view):
    return make_camera_view(1300, 820, animated=False)


def _run(qapp, seconds: float, until=lambda: False) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        qapp.processEvents()
        time.sleep(0.003)


def test_live_view_on_a_synthetic_camera_shows_the_motion(qapp, view, demo_model, tmp_path):
    model = resolve_model(demo_model)
    view.set_model(model, "cpu")
    view.use_source(SyntheticSource("moving left", width=320, height=240, fps=30), 30)
    view.live.start()
    assert view.live.runner.running and view.live.start_button.text() == "Stop Live"
    wait_until(qapp, lambda: view.live.results_shown >= 1, 20, "the first live result")
    _run(qapp, 3.0, until=lambda: view.live.results_shown >= 8)
    preds = view.live.predictions.predictions()
    assert len(preds) == 5 and view.live.predictions.title() == "Live (smoothed)"
    if _real_demo_model():
        assert preds[0].label == "moving left", preds
    assert view.live.strip.thumbnail_count(0) == 16          # the window's frames
    assert len(view.live.graphs.latency_values()) >= 1       # latency per window
    assert view.preview.frames_shown >= 30                   # the preview kept up
    stats = view.live.runner.classifier.stats()
    assert stats.max_pending <= 1
    # The picture, for people: written to the repo only when asked (see docs/camera.md).
    _run(qapp, 1.1)  # the graphs' text refreshes once a second
    shot = view.grab()
    assert not shot.isNull()
    shot.save(str(tmp_path / "live.png"))
    if os.environ.get("KINETOSCOPE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shot.save(str(SCREENSHOT))
    view.live.stop()
    assert not view.live.runner.running


class SlowSession:
    """A real session that takes `delay_s` longer per window: a model slower than the camera."""

    def __init__(self, inner: ModelSession, delay_s: float) -> None:
        self.inner = inner
        self.bundle = inner.bundle
        self.report = inner.report
        self.delay_s = delay_s
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def run(self, video: np.ndarray) -> np.ndarray:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(self.delay_s)
        try:
            return self.inner.run(video)
        finally:
            with self._lock:
                self.active -= 1


def test_a_slow_model_drops_windows_and_the_gui_stays_live(qapp, view, demo_model):
    session = SlowSession(ModelSession(open_bundle(resolve_model(demo_model))), 0.4)
    view.live.every_spin.setValue(1)  # a window every 1/15 s: six times faster than the model
    runner = view.live.runner
    view.use_source(SyntheticSource("rotating clockwise", width=320, height=240, fps=30), 30)
    runner.result.connect(view.live.show_result)
    runner.start_with(lambda: session, view.live.config())
    _run(qapp, 3.0)
    stats = runner.classifier.stats()
    runner.stop()
    assert session.most_active == 1                       # one inference at a time
    assert stats.max_pending == 1
    assert stats.windows_dropped > stats.windows_run >= 2  # dropped, not queued
    assert view.preview.frames_shown >= 45                 # the preview did not wait for the model
    shown = view.live.results_shown
    _run(qapp, 0.6)  # the window running at stop() ends; its result is not shown
    assert view.live.results_shown == shown


def test_a_model_that_cannot_load_is_explained(qapp, view, tmp_path):
    view.set_model(tmp_path / "missing.zip", "cpu")
    view.use_source(SyntheticSource("still", width=160, height=120, fps=30), 30)
    view.live.start()
    wait_until(qapp, lambda: not view.live.start_button.isChecked(), 10, "live mode to give up")
    assert "No model at" in view.errors.message  # said in the camera view's error banner
    assert not view.live.runner.running


def test_without_a_model_live_mode_cannot_start(qapp, view):
    view.set_model(None)
    assert not view.live.start_button.isEnabled()
    view.live.start()
    assert not view.live.runner.running
