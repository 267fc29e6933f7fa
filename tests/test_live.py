"""Live classification without Qt: 15 fps sampling by timestamp, the window, the drop policy,
smoothing, stopping, and the real demo model recognising a live synthetic motion."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from kinetoscope.engine.modelfiles import bundled_data
from kinetoscope.engine.media.frame_source import SyntheticSource, TimedFrame
from kinetoscope.engine.inference.live import LiveClassifier, LiveConfig, LiveResult, RateSampler, model_crop
from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID
from kinetoscope.engine.media.synthetic import MOTION_LABELS
from recipes import AIHUB_224, RESNET


def _frame(t: float, index: int = 0, size: tuple[int, int] = (64, 48)) -> TimedFrame:
    w, h = size
    return TimedFrame(np.full((h, w, 3), index % 256, np.uint8), t, index)


class FakeSession:
    """Answers a fixed class, optionally slowly; records which thread ran it."""

    def __init__(self, answer: int = 0, delay_s: float = 0.0, labels: tuple[str, ...] = MOTION_LABELS) -> None:
        self.bundle = SimpleNamespace(labels=labels, recipe=RESNET)
        self.answer = answer
        self.delay_s = delay_s
        self.calls = 0
        self.threads: set[str] = set()
        self.shapes: set[tuple[int, ...]] = set()

    def run(self, video: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        self.shapes.add(video.shape)
        if self.delay_s:
            time.sleep(self.delay_s)
        probs = np.full(len(self.bundle.labels), 0.02, np.float32)
        probs[self.answer] = 1.0 - 0.02 * (len(probs) - 1)
        return probs


def _collect(live_kwargs: dict | None = None, session: FakeSession | None = None,
             config: LiveConfig = LiveConfig()) -> tuple[LiveClassifier, list[LiveResult], FakeSession]:
    session = session or FakeSession()
    results: list[LiveResult] = []
    live = LiveClassifier(lambda: session, config, on_result=results.append, **(live_kwargs or {}))
    return live, results, session


# -- sampling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("camera_fps", [30.0, 29.97, 25.0, 60.0])
def test_sampler_takes_15_fps_from_faster_cameras(camera_fps):
    sampler = RateSampler(15.0)
    times = [k / camera_fps for k in range(int(camera_fps * 4))]
    taken = [f.t_s for k, t in enumerate(times) for f in sampler.offer(_frame(t, k))]
    assert abs(len(taken) - 60) <= 1  # 4 s at 15 fps
    ticks = np.arange(len(taken)) / 15.0
    # Each tick got the nearest frame: never more than half a camera frame away.
    assert np.max(np.abs(np.array(taken) - ticks)) <= 0.5 / camera_fps + 1e-9


def test_sampler_repeats_frames_of_a_slow_camera_to_keep_the_motion_speed():
    sampler = RateSampler(15.0)
    taken = [f.index for k in range(11) for f in sampler.offer(_frame(k / 10.0, k))]
    # 0..1 s at 10 fps (11 frames) fills the 16 ticks 0, 1/15, ..., 1; some frames are used twice.
    assert len(taken) == 16
    assert sorted(set(taken)) == list(range(11))
    assert taken == sorted(taken)


def test_sampler_follows_uneven_timestamps():
    sampler = RateSampler(15.0)
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.045, 200))
    times -= times[0]
    taken = [f.t_s for k, t in enumerate(times) for f in sampler.offer(_frame(float(t), k))]
    ticks = np.arange(len(taken)) / 15.0
    gaps = np.diff(times).max()
    assert np.max(np.abs(np.array(taken) - ticks)) <= gaps / 2 + 1e-9


def test_model_crop_matches_the_clip_path_shape():
    rgb = np.random.default_rng(1).integers(0, 256, (480, 640, 3), np.uint8)
    crop = model_crop(rgb, RESNET)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    portrait = model_crop(np.ascontiguousarray(rgb.transpose(1, 0, 2)), RESNET)
    assert portrait.shape == (112, 112, 3)
    # A 224 model's recipe: short side 256 keeping the aspect, then the centre 224x224.
    assert model_crop(rgb, AIHUB_224).shape == (224, 224, 3)


# -- windows, triggering, smoothing --------------------------------------------------------------


def test_first_window_after_16_sampled_frames_then_every_n():
    live, results, session = _collect(config=LiveConfig(every_n=4))
    live.start()
    try:
        for k in range(16 * 2):  # 30 fps camera: 16 sampled frames take 31 camera frames
            live.push(_frame(k / 30, k))
            live.wait_idle(5)
        assert live.stats().windows_ready == 1
        for k in range(32, 32 + 8):  # 4 more sampled frames -> one more window
            live.push(_frame(k / 30, k))
            live.wait_idle(5)
        assert live.stats().windows_ready == 2
    finally:
        assert live.stop()
    assert len(results) == 2
    first = results[0]
    assert first.crops.shape == (16, 112, 112, 3)
    assert np.allclose(np.diff(first.times_s), 1 / 15, atol=1e-6)
    assert session.shapes == {(1, 3, 16, 112, 112)}
    assert session.threads == {"live-inference"}
    assert results[1].times_s[0] == pytest.approx(first.times_s[4])  # slid by every_n frames


def test_smoothing_is_an_ema_of_probabilities():
    session = FakeSession(answer=2)
    live, results, _ = _collect(session=session, config=LiveConfig(every_n=1, smoothing=0.5))
    live.start()
    try:
        for k in range(16):  # a 15 fps camera: the 16th frame completes the first window
            live.push(_frame(k / 15, k))
            assert live.wait_idle(5)
        session.answer = 5  # the scene changes
        live.push(_frame(16 / 15, 16))
        assert live.wait_idle(5)
    finally:
        live.stop()
    assert len(results) == 2
    assert results[0].top5[0].label == MOTION_LABELS[2]
    second = results[1]
    assert np.allclose(second.smoothed, 0.5 * results[0].probs + 0.5 * second.probs)
    assert {second.top5[0].label, second.top5[1].label} == {MOTION_LABELS[2], MOTION_LABELS[5]}
    assert second.top5[0].prob == pytest.approx(0.5 * (1 - 0.02 * 8) + 0.5 * 0.02)


def test_a_pause_in_the_frames_starts_a_new_window():
    live, results, _ = _collect(config=LiveConfig(every_n=4, max_gap_s=0.5))
    live.start()
    try:
        for k in range(20):
            live.push(_frame(k / 15, k))
        live.push(_frame(20 / 15 + 2.0, 20))  # a 2 s stall
        live.wait_idle(5)
        assert live.stats().restarts == 1
        before = live.stats().windows_ready
        for k in range(21, 21 + 14):
            live.push(_frame(k / 15 + 2.0, k))
        assert live.stats().windows_ready == before  # 15 frames since the stall: not full yet
    finally:
        live.stop()


# -- drop policy --------------------------------------------------------------------------------


def test_slow_inference_drops_windows_and_memory_stays_bounded():
    """A model 10x slower than the camera: windows are dropped, nothing queues or grows."""
    session = FakeSession(delay_s=0.15)
    latest: list[LiveResult] = []

    def keep_newest(result: LiveResult) -> None:
        latest[:] = [result]  # the test must not hoard results itself

    live = LiveClassifier(lambda: session, LiveConfig(every_n=1), on_result=keep_newest)
    source = SyntheticSource("moving left", width=320, height=240, fps=30, realtime=False)
    frames = list(source.frames(60))  # rendered up front so the loop below is the camera alone
    live.start()
    tracemalloc.start()
    try:
        peaks = []
        started = time.monotonic()
        for k in range(90):  # a 30 fps camera for 3 s, looping the 60 frames
            delay = started + k / 30 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            live.push(TimedFrame(frames[k % 60].rgb, k / 30, k))
            assert live.pending_count() <= 1
            if k % 10 == 0:
                peaks.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        assert live.stop()
    stats = live.stats()
    assert stats.frames_in == 90 and stats.windows_ready >= 25
    assert stats.windows_dropped > stats.windows_run  # most windows were dropped, not queued
    assert stats.windows_run + stats.windows_dropped >= stats.windows_ready - 1
    assert stats.max_pending == 1
    assert stats.windows_run <= (time.monotonic() - started) / 0.15 + 1
    # Memory held after warm-up does not climb with time (a queue would add ~0.6 MB a window).
    warm = peaks[len(peaks) // 2:]  # after the first window is in flight
    assert max(warm) - min(warm) < 1.5e6, [round(p / 1e6, 1) for p in peaks]
    # Results report the newest windows: the last one is recent, not a stale backlog.
    assert latest[-1].latency_ms < 1000


def test_stop_waits_for_the_running_window_and_then_nothing_more_arrives():
    session = FakeSession(delay_s=0.3)
    live, results, _ = _collect(session=session, config=LiveConfig(every_n=1))
    live.start()
    for k in range(40):
        live.push(_frame(k / 15, k))
    time.sleep(0.05)  # the worker is inside run()
    started = time.monotonic()
    assert live.stop()
    assert time.monotonic() - started < 1.0
    assert not live.running
    n = len(results)
    for k in range(40, 80):
        live.push(_frame(k / 15, k))
    time.sleep(0.1)
    assert len(results) == n and live.pending_count() == 0


def test_a_model_that_cannot_open_is_reported_not_lost():
    errors: list[BaseException] = []

    def broken():
        raise RuntimeError("no such model")

    live = LiveClassifier(broken, on_error=errors.append)
    live.start()
    deadline = time.monotonic() + 5
    while live.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [str(e) for e in errors] == ["no such model"]
    assert live.stop()


# -- the real demo model ------------------------------------------------------------------------


def _demo_bundle_path() -> Path:
    zips = sorted(bundled_data.models_dir().glob(f"{DEMO_MODEL_ID}-onnx-float.zip"))
    if not zips:
        pytest.skip("the demo model kinetoscope/data/models/motion_demo-onnx-float.zip is not built yet")
    return zips[0]


def test_live_top1_on_a_synthetic_camera_showing_moving_left_is_moving_left():
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.inference.session import ModelSession

    bundle = open_bundle(_demo_bundle_path())
    results: list[LiveResult] = []
    ready = threading.Event()
    live = LiveClassifier(lambda: ModelSession(bundle, "cpu"), LiveConfig(every_n=4, smoothing=0.5),
                          on_result=results.append, on_ready=lambda s: ready.set())
    source = SyntheticSource("moving left", width=320, height=240, fps=30, realtime=True)
    live.start()
    assert ready.wait(30), "the demo model did not open"
    source.start(live.push)
    try:
        deadline = time.monotonic() + 4.0  # a few seconds of camera
        while time.monotonic() < deadline and len(results) < 8:
            time.sleep(0.05)
    finally:
        source.stop()
        assert live.stop()
    assert len(results) >= 3, f"only {len(results)} windows classified"
    assert results[-1].top5[0].label == "moving left", results[-1].top5
    stats = live.stats()
    assert stats.frames_in >= 60 and stats.max_pending <= 1
