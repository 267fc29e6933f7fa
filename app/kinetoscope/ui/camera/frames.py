"""Between Qt's video frames and the engine's `TimedFrame`s, in both directions.

`SinkFrameSource` turns what a `QVideoSink` shows (a camera, or anything a capture session
carries) into upright RGB frames: the engine's `FrameSource`. `FrameSourceFeeder` does the
reverse for tests and demos, pushing a `FrameSource`'s frames into a `QVideoFrameInput`, so a
synthetic scene travels the same capture session, sink and recorder as a camera's picture.

Both hand frames over through `LatestValue` ("latest wins"): a frame that arrives while the
previous one is still waiting for the GUI thread replaces it. A busy GUI thread therefore drops
frames, as a camera does, instead of growing a queue of them.
"""

from __future__ import annotations

import logging
import time
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameInput, QVideoSink

from kinetoscope.engine.media.frame_source import FrameCallback, FrameSource, TimedFrame
from kinetoscope.ui.latest import LatestValue
from kinetoscope.ui.widgets._look import rgb_to_qimage

log = logging.getLogger(__name__)

# Frames are shrunk to this longest side before anything else: the preview is small and the
# model sees 171 x 128, so converting full 1080p frames would only cost time.
WORKING_SIDE = 640


def upright_rgb(frame: QVideoFrame, max_side: int = WORKING_SIDE) -> np.ndarray | None:
    """The frame as people should see it, as uint8 RGB [H, W, 3], or None if it has no picture.

    `toImage()` applies the surface format's layout (bottom-to-top scan lines, a mirrored
    surface, the surface's rotation) but not the frame's own presentation transform, so that is
    applied here as Qt's own renderers do: rotate clockwise by `rotation()`, then mirror.
    """
    if not frame.isValid():
        return None
    image = frame.toImage()
    if image.isNull():
        return None
    if max(image.width(), image.height()) > max_side:
        image = image.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8, count=h * image.bytesPerLine()).reshape(h, -1)
    rgb = rows[:, : w * 3].reshape(h, w, 3)
    quarter_turns = (frame.rotation().value // 90) % 4
    if quarter_turns:
        rgb = np.rot90(rgb, -quarter_turns)  # np.rot90 turns counter-clockwise for positive k
    if frame.mirrored():
        rgb = rgb[:, ::-1]
    # Always a copy: `rgb` may still view the QImage's memory, which goes away with it.
    return np.array(rgb, order="C", copy=True)


class SinkFrameSource(QObject):
    """The engine's `FrameSource` over a `QVideoSink`; frames reach `on_frame` on the GUI thread.

    Camera backends may emit from their own thread; the frame is parked (latest wins) and
    converted on the GUI thread, so `on_frame` never needs to be thread-safe.
    """

    def __init__(self, sink: QVideoSink, parent: QObject | None = None, *, max_side: int = WORKING_SIDE) -> None:
        super().__init__(parent)
        self._sink = sink
        self._max_side = max_side
        self._on_frame: FrameCallback | None = None
        self._latest = LatestValue(self)
        self._latest.arrived.connect(self._drain)
        self._index = 0
        self._t0_us: int | None = None
        self._clock0 = time.monotonic()
        self.convert_ms = 0.0    # latest conversion cost, for the status line
        # Direct: runs on whichever thread emits, and only parks the frame.
        sink.videoFrameChanged.connect(self._arrived, Qt.ConnectionType.DirectConnection)

    @property
    def frames_in(self) -> int:
        return self._latest.received

    @property
    def frames_dropped(self) -> int:
        """Frames replaced before the GUI thread got to them."""
        return self._latest.dropped

    def start(self, on_frame: FrameCallback) -> None:
        self._on_frame = on_frame

    def stop(self) -> None:
        self._on_frame = None
        self._latest.clear()

    def restart_clock(self) -> None:
        """Forget the time base (a new camera or feed starts at its own zero)."""
        self._t0_us = None
        self._clock0 = time.monotonic()
        self._index = 0

    def _arrived(self, frame: QVideoFrame) -> None:  # the camera backend's thread
        self._latest.put(QVideoFrame(frame))  # a cheap shared reference

    def _drain(self, frame: QVideoFrame) -> None:
        on_frame = self._on_frame
        if frame is None or on_frame is None:
            return
        started = time.perf_counter()
        rgb = upright_rgb(frame, self._max_side)
        self.convert_ms = (time.perf_counter() - started) * 1000
        if rgb is None:
            return
        on_frame(TimedFrame(rgb, self._time_of(frame), self._index))
        self._index += 1

    def _time_of(self, frame: QVideoFrame) -> float:
        """Seconds since the first frame, from the frame's own timestamp when it has one."""
        start_us = frame.startTime()
        if start_us < 0:  # no timestamp: the arrival time is the best we know
            return time.monotonic() - self._clock0
        if self._t0_us is None:
            self._t0_us = start_us
        return (start_us - self._t0_us) / 1e6


class FrameSourceFeeder(QObject):
    """Feeds a `FrameSource` into a `QVideoFrameInput`, for a capture session without a camera.

    The source's frames arrive on its own thread; the newest is sent from the GUI thread (where
    the input lives). Frames the input refuses (its queue is full) are dropped, as a camera would.
    """

    def __init__(self, source: FrameSource, frame_input: QVideoFrameInput, fps: float = 30.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._input = frame_input
        self._rate = float(Fraction(fps).limit_denominator(1001))
        self._frame_us = int(1e6 / fps)
        self._latest = LatestValue(self)
        self._latest.arrived.connect(self._send)
        self.sent = 0
        self._refused = 0  # frames the input's full queue turned away

    @property
    def dropped(self) -> int:
        return self._latest.dropped + self._refused

    def start(self) -> None:
        self.source.start(self._latest.put)  # from the source's thread

    def stop(self) -> None:
        """Stop the source (waits for its thread) and forget the frame not sent yet."""
        self.source.stop()
        self._latest.clear()

    def _send(self, frame: TimedFrame) -> None:
        video = QVideoFrame(rgb_to_qimage(frame.rgb))
        start = int(round(frame.t_s * 1e6))
        video.setStartTime(start)
        video.setEndTime(start + self._frame_us)
        video.setStreamFrameRate(self._rate)
        if self._input.sendVideoFrame(video):
            self.sent += 1
        else:
            self._refused += 1
