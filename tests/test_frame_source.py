"""The frame-source interface and its synthetic camera: timestamps, threads, stopping."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kinetoscope.engine.media.frame_source import FrameSource, SyntheticSource, TimedFrame


def test_timed_frame_accepts_only_uint8_rgb():
    TimedFrame(np.zeros((4, 6, 3), np.uint8), 0.0)
    assert TimedFrame(np.zeros((4, 6, 3), np.uint8), 0.0).size == (6, 4)
    with pytest.raises(ValueError):
        TimedFrame(np.zeros((4, 6, 3), np.float32), 0.0)
    with pytest.raises(ValueError):
        TimedFrame(np.zeros((4, 6), np.uint8), 0.0)


def test_synthetic_source_is_a_frame_source_with_camera_timestamps():
    source = SyntheticSource("moving left", width=64, height=48, fps=30)
    assert isinstance(source, FrameSource)
    frames = list(source.frames(5))
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert np.allclose([f.t_s for f in frames], np.arange(5) / 30)
    assert frames[0].rgb.shape == (48, 64, 3)
    assert not np.array_equal(frames[0].rgb, frames[4].rgb)  # it moves
    again = list(SyntheticSource("moving left", width=64, height=48, fps=30).frames(5))
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(frames, again))  # same seed, same scene


def test_synthetic_source_ends_after_its_duration():
    source = SyntheticSource("still", width=32, height=24, fps=10, duration_s=1.0)
    assert len(list(source.frames())) == 10


def test_started_source_delivers_on_its_thread_and_stops():
    source = SyntheticSource("moving up", width=32, height=24, fps=200, realtime=True)
    got: list[TimedFrame] = []
    threads: set[str] = set()

    def on_frame(frame: TimedFrame) -> None:
        got.append(frame)
        threads.add(threading.current_thread().name)

    source.start(on_frame)
    deadline = time.monotonic() + 5
    while len(got) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    source.stop()
    assert not source.running
    count = len(got)
    time.sleep(0.05)
    assert len(got) == count >= 10, "no frames after stop()"
    assert threads == {"synthetic-camera"}
    assert [f.index for f in got] == list(range(count))


def test_realtime_source_keeps_camera_pace():
    source = SyntheticSource("growing", width=32, height=24, fps=20, duration_s=0.5)
    got: list[float] = []
    started = time.monotonic()
    source.start(lambda f: got.append(time.monotonic() - started))
    deadline = time.monotonic() + 5
    while source.running and time.monotonic() < deadline:
        time.sleep(0.01)
    source.stop()
    assert len(got) == 10
    assert got[-1] >= 0.4  # 10 frames at 20 fps take 0.45 s, not a burst


def test_a_failing_consumer_stops_the_source_instead_of_spinning():
    source = SyntheticSource("still", width=16, height=16, fps=500)

    def boom(frame: TimedFrame) -> None:
        raise RuntimeError("consumer bug")

    source.start(boom)
    deadline = time.monotonic() + 5
    while source.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not source.running
    source.stop()
