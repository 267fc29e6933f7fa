"""Frames of a clip for showing it to people: any time, upright, scaled to fit a box.

Unlike `VideoReader`, which streams the exact frames a sampling plan names at the models' size,
this answers "what is on screen at t seconds?" for playing and scrubbing: it decodes forward
while t moves forward, seeks to the keyframe before t when t jumps back or far ahead, and
converts only the frame it returns. Not thread-safe: use one decoder from one thread at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from kinetoscope.engine.errors import BadVideo
from kinetoscope.engine.media.probe import FFMPEG_ERRORS, VideoInfo, open_container, probe, video_stream

# Jumping further ahead than this seeks instead of decoding every frame in between.
_SEEK_AHEAD_S = 2.0
# Timestamps are floats from rationals; a frame "at" t may land a hair after it.
_EPS_S = 1e-3



@dataclass(frozen=True)
class PreviewFrame:
    """One displayed frame: uint8 RGB [H, W, 3], upright, and when it is shown (s from the start)."""

    rgb: np.ndarray
    time_s: float


@dataclass
class _Decoded:
    frame: av.VideoFrame
    time_s: float


class PreviewDecoder:
    """Decodes the frame shown at any time of a clip. A context manager; call `close()` when done."""

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        """Probe and open the clip (raises `BadVideo` if it cannot be read).

        `threads` is the decoder's thread count; one keeps a preview from competing with
        inference for the cores.
        """
        self.info: VideoInfo = probe(path)
        self._threads = threads
        self._scaler = VideoReformatter()  # reused: a new swscale context per frame costs more than scaling
        self._container: av.container.InputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._frames = None
        self._peeked: _Decoded | None = None
        self._current: _Decoded | None = None
        self._converted: tuple[tuple[int, int], PreviewFrame] | None = None  # last answer, by box
        self._first_pts: int | None = None
        self._time_base = Fraction(1, 1)
        self._open()

    @property
    def duration_s(self) -> float:
        return self.info.duration_s

    def frame_at(self, t: float, max_width: int, max_height: int) -> PreviewFrame:
        """The frame on screen `t` seconds into the clip, scaled to fit max_width x max_height."""
        t = max(0.0, min(float(t), self.info.duration_s))
        self._position(t)
        if self._current is None:
            raise BadVideo(f"The video in this clip has no frames that can be decoded: {self.info.path.name}.",
                           detail=str(self.info.path))
        box = (max(1, int(max_width)), max(1, int(max_height)))
        cached = self._converted
        if cached is not None and cached[0] == box and cached[1].time_s == self._current.time_s:
            return cached[1]
        answer = PreviewFrame(self._convert(self._current.frame, *box), self._current.time_s)
        self._converted = (box, answer)
        return answer

    def close(self) -> None:
        """Release the file; safe to call twice."""
        self._frames = None
        self._peeked = self._current = None
        self._converted = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> PreviewDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- decoding ---------------------------------------------------------------------------

    def _open(self) -> None:
        self.close()
        container = open_container(self.info.path)
        try:
            stream = video_stream(container, self.info.path)
        except BadVideo:
            container.close()
            raise
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.thread_count = self._threads
        self._container, self._stream = container, stream
        self._time_base = stream.time_base or Fraction(1, 1)
        pts = self.info.frame_pts
        self._first_pts = int(pts[0]) if len(pts) else None
        self._frames = self._decode()

    def _decode(self):
        assert self._container is not None and self._stream is not None
        previous: float | None = None
        step = 1.0 / self.info.fps if self.info.fps > 0 else 0.04
        try:
            for frame in self._container.decode(self._stream):
                if frame.pts is not None and self._first_pts is not None:
                    time_s = float((frame.pts - self._first_pts) * self._time_base)
                elif frame.pts is not None:
                    if self._first_pts is None:
                        self._first_pts = frame.pts
                    time_s = float((frame.pts - self._first_pts) * self._time_base)
                else:
                    time_s = 0.0 if previous is None else previous + step
                previous = time_s
                yield _Decoded(frame, time_s)
        except FFMPEG_ERRORS:
            return  # a damaged tail ends the clip here; what was decoded stays shown

    def _peek(self) -> _Decoded | None:
        if self._peeked is None and self._frames is not None:
            self._peeked = next(self._frames, None)
            if self._peeked is None:
                self._frames = None
        return self._peeked

    def _take(self) -> None:
        self._current, self._peeked = self._peeked, None

    def _position(self, t: float) -> None:
        """Leave in `_current` the last frame shown at or before `t` (or the first frame)."""
        current = self._current
        if current is not None and current.time_s > t + _EPS_S:
            self._jump(t)
        elif current is not None and t - current.time_s > _SEEK_AHEAD_S and self.info.seekable:
            self._jump(t)
        while True:
            nxt = self._peek()
            if nxt is None:
                break
            if nxt.time_s > t + _EPS_S and self._current is not None:
                break
            self._take()

    def _jump(self, t: float) -> None:
        if not self.info.seekable or self._first_pts is None or self._container is None:
            self._open()  # containers without reliable timestamps: decode again from the start
            return
        target = self._first_pts + int(t / self._time_base)
        try:
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        except FFMPEG_ERRORS:
            self._open()
            return
        self._frames = self._decode()
        self._peeked = self._current = None

    def _convert(self, frame: av.VideoFrame, max_width: int, max_height: int) -> np.ndarray:
        info = self.info
        scale = min(1.0, max_width / info.width, max_height / info.height)
        width, height = max(1, round(info.width * scale)), max(1, round(info.height * scale))
        quarter_turns = info.rotation // 90
        if quarter_turns % 2:
            width, height = height, width  # the coded picture is sideways
        try:
            rgb = self._scaler.reformat(frame, width=width, height=height, format="rgb24",
                                        interpolation=_interpolation(frame, width, height)).to_ndarray()
        except FFMPEG_ERRORS as exc:
            raise BadVideo(f"A frame of this clip cannot be converted: {info.path.name}.",
                           detail=f"{info.path}: {exc}") from exc
        # The rotation is counter-clockwise, as np.rot90 turns for positive k.
        return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def _interpolation(frame: av.VideoFrame, width: int, height: int) -> str:
    # For people, not the model: area averaging never aliases when shrinking.
    return "AREA" if width * height < frame.width * frame.height else "BICUBIC"
