"""Reading clips: probing, streaming the frames a sampling plan names, upright and resized.

Decoding is the expensive part of classifying a clip, so the reader decodes forward once, seeks
over long gaps between views, and lets FFmpeg scale and convert only the frames it keeps. It
holds at most the frames of the views still to come that it has already passed.

PyAV does not apply a clip's display rotation (phone videos), so the reader does: it scales the
coded picture to the size that becomes 128 x 171 once rotated, then rotates it in numpy.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import av
import numpy as np

from kinetoscope.engine.errors import BadVideo
from kinetoscope.engine.preprocess import RESIZE_HW
from kinetoscope.engine.sampling import ViewSpec

log = logging.getLogger(__name__)

# Which swscale filter comes closest to the reference's resize (torch bilinear, no antialias),
# measured on the shared clips (tests/test_preprocess_reference.py): up to ~3x down, torch blends
# two neighbours about as wide as a pixel of the output, like AREA; far beyond, it samples two
# adjacent pixels out of many, which POINT resembles and any antialiasing filter does not.
_POINT_ABOVE_DOWNSCALE = 4.0


def interpolation_for(src_w: int, src_h: int, dst_w: int, dst_h: int) -> str:
    """The swscale interpolation that best matches the reference resize for this scale."""
    factor = max(src_w / dst_w, src_h / dst_h)
    if factor <= 1.0:
        return "BILINEAR"
    return "POINT" if factor > _POINT_ABOVE_DOWNSCALE else "AREA"


# Seeking costs a decoder flush and a refill of its threads; below this many frames of saved
# decoding it is cheaper to keep decoding forward.
SEEK_MIN_SAVED_FRAMES = 12

# Containers whose packets carry real presentation timestamps, so a frame met after a seek can
# be placed by its pts. AVI and raw elementary streams only fake them.
_PTS_CONTAINERS = ("mov", "mp4", "matroska", "webm", "mpegts", "flv", "ogg")

# A clip counts as variable-rate when more than this share of its frame intervals strays more
# than a quarter from the typical one; a few dropped frames keep a clip constant-rate, as the
# reference treats them.
_VFR_IRREGULAR_SHARE = 0.1

_FFMPEG_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError, RuntimeError)


@dataclass(frozen=True)
class VideoInfo:
    """What probing a clip found. Width and height are the display size, after rotation."""

    path: Path
    width: int
    height: int
    rotation: int  # counter-clockwise degrees the coded picture is turned for display
    fps: float
    frame_count: int
    duration_s: float
    codec: str
    pix_fmt: str
    variable_frame_rate: bool
    coded_width: int = 0
    coded_height: int = 0
    # Display times of every frame (seconds from the first), from the packets' timestamps.
    frame_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)
    # Per-frame pts in display order and which frames are keyframes; used to seek.
    frame_pts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False, compare=False)
    keyframe_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False, compare=False)
    seekable: bool = False


@dataclass(frozen=True)
class ViewFrames:
    """The frames of one view: uint8 RGB [16, 128, 171, 3], upright, and when they were shown."""

    view: ViewSpec
    rgb: np.ndarray
    times_s: tuple[float, ...]


def _bad(path: Path, message: str, exc: BaseException | None = None) -> BadVideo:
    detail = f"{path}: {type(exc).__name__}: {exc}" if exc is not None else str(path)
    return BadVideo(message, detail=detail)


def _not_readable(path: Path, exc: BaseException | None = None) -> BadVideo:
    return _bad(path, f"This file is not a video Kinetoscope can read: {path.name}.", exc)


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise _bad(path, f"The clip does not exist: {path.name}.")
    if path.stat().st_size == 0:
        raise _bad(path, f"The clip is empty: {path.name}.")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except _FFMPEG_ERRORS as exc:
        raise _not_readable(path, exc) from exc


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    # Cover art and thumbnails are video streams too; they are single pictures, not the clip.
    streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if not streams:
        raise _bad(path, "The clip has no video stream.")
    return streams[0]


def _normal_rotation(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90


def _scan_packets(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> tuple[np.ndarray, np.ndarray, bool]:
    """Demux (not decode) the video packets: their pts in display order and the keyframes' pts.

    Returns (sorted pts, keyframe pts, complete). Reading packets is I/O-bound and ~100x cheaper
    than decoding, and gives an exact frame count, the timeline and the seek points.
    """
    pts: list[int] = []
    keys: list[int] = []
    complete = True
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the flush packet at the end
                continue
            if packet.pts is None:
                complete = False
                pts.append(-1)
                continue
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
    except _FFMPEG_ERRORS as exc:
        # A damaged tail: keep what was readable; the reader clamps to the last decodable frame.
        log.info("packet scan stopped early: %s", exc)
    return np.sort(np.asarray(pts, np.int64)), np.asarray(sorted(keys), np.int64), complete


def _first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except _FFMPEG_ERRORS as exc:
        raise _bad(path, f"The video in this clip cannot be decoded: {path.name}.", exc) from exc
    raise _bad(path, f"The video in this clip has no frames that can be decoded: {path.name}.")


def _is_variable_rate(pts: np.ndarray) -> bool:
    if len(pts) < 3:
        return False
    intervals = np.diff(pts)
    typical = float(np.median(intervals))
    if typical <= 0:
        return True
    irregular = np.abs(intervals - typical) > max(0.25 * typical, 1.0)
    return float(irregular.mean()) > _VFR_IRREGULAR_SHARE


def probe(path: str | Path) -> VideoInfo:
    """Read a clip's size, rate, frame count and rotation; demuxes packets and decodes one frame."""
    path = Path(path)
    with _open(path) as container:
        stream = _video_stream(container, path)
        codec = stream.codec_context.name
        tb = stream.time_base or Fraction(1, 1)

        first = _first_frame(container, stream, path)
        rotation = _normal_rotation(first.rotation)
        if rotation == 0 and "rotate" in stream.metadata:
            # Old muxers wrote a clockwise "rotate" tag instead of a display matrix.
            try:
                rotation = _normal_rotation(-float(stream.metadata["rotate"]))
            except ValueError:
                pass
        coded_w, coded_h = first.width, first.height
        pix_fmt = first.format.name

        try:
            container.seek(0)
        except _FFMPEG_ERRORS:
            container.close()
            container = _open(path)
            stream = _video_stream(container, path)
        pts, key_pts, pts_complete = _scan_packets(container, stream)

        count = len(pts)
        declared = stream.frames or 0
        if declared and count < declared // 2:
            # The index promises far more than the file holds: a copy or recording cut short.
            raise _bad(path, f"The clip is cut short or damaged: only {count} of its {declared} frames are there ({path.name}).")
        if count == 0:
            count = stream.frames or 0
        fps = _frame_rate(stream, pts, tb)
        if count == 0 and container.duration:
            count = max(1, round(container.duration / 1_000_000 * fps))

        duration_s = _duration(container, stream, pts, tb, fps, count)
        if pts_complete and len(pts) > 0:
            times = (pts - pts[0]).astype(np.float64) * float(tb)
            keyframe_indices = np.searchsorted(pts, key_pts)
            vfr = _is_variable_rate(pts)
        else:
            times = np.arange(count, dtype=np.float64) / fps
            keyframe_indices = np.zeros(0, np.int64)
            vfr = False
        seekable = (
            pts_complete
            and len(keyframe_indices) > 1
            and container.format.name.split(",")[0] in _PTS_CONTAINERS
            and len(np.unique(pts)) == len(pts)
        )

    width, height = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        rotation=rotation,
        fps=fps,
        frame_count=count,
        duration_s=duration_s,
        codec=codec,
        pix_fmt=pix_fmt,
        variable_frame_rate=vfr,
        coded_width=coded_w,
        coded_height=coded_h,
        frame_times_s=times,
        frame_pts=pts if pts_complete else np.zeros(0, np.int64),
        keyframe_indices=keyframe_indices,
        seekable=seekable,
    )


def _frame_rate(stream: av.video.stream.VideoStream, pts: np.ndarray, tb: Fraction) -> float:
    # The reference takes the container's average rate; fall back on what the timestamps say.
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) < 1000:
            return float(rate)
    if len(pts) > 1 and pts[-1] > pts[0]:
        return (len(pts) - 1) / (float(pts[-1] - pts[0]) * float(tb))
    return 25.0  # a still picture: any rate gives one frame


def _duration(container, stream, pts: np.ndarray, tb: Fraction, fps: float, count: int) -> float:
    if stream.duration:
        return float(stream.duration * tb)
    if container.duration:
        return container.duration / 1_000_000
    if len(pts) > 1:
        return float((pts[-1] - pts[0]) * tb) + 1.0 / fps
    return count / fps


class VideoReader:
    """Streams the frames named by views, resized to 128 x 171 and upright. A context manager."""

    def __init__(self, path: str | Path, *, threads: int = 0) -> None:
        """Probe and open the clip; `threads` = 0 lets FFmpeg pick the decoder's thread count."""
        self.info = probe(path)
        self._threads = threads
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._next_index = 0  # index of the next frame the decoder will hand out
        self._last: tuple[int, av.VideoFrame] | None = None  # latest decoded frame, for clamping
        self._eof_index: int | None = None  # last decodable index, once the end was met
        self.decoded_frames = 0  # frames the decoder produced, for benchmarks and tests
        self.seeks = 0
        self._restart(seek_index=None)

    # -- public -----------------------------------------------------------------------------

    def read_views(self, views: Sequence[ViewSpec]) -> Iterator[ViewFrames]:
        """Yield each view's frames in the given order, decoding each needed frame once."""
        views = list(views)
        still_needed = Counter(i for v in views for i in set(v.source_indices))
        cache: dict[int, tuple[np.ndarray, float]] = {}
        for view in views:
            wanted = sorted(set(view.source_indices))
            missing = [i for i in wanted if i not in cache]
            if missing:
                self._fetch(missing, set(still_needed), cache)
            rgb = np.empty((len(view.source_indices), *RESIZE_HW, 3), np.uint8)
            times = []
            for j, i in enumerate(view.source_indices):
                rgb[j], t = cache[i]
                times.append(t)
            yield ViewFrames(view=view, rgb=rgb, times_s=tuple(times))
            for i in wanted:
                still_needed[i] -= 1
                if still_needed[i] <= 0:
                    del still_needed[i]
                    cache.pop(i, None)

    def close(self) -> None:
        """Close the container; safe to call twice."""
        self._frames = None
        self._last = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- decoding ---------------------------------------------------------------------------

    def _open_decoder(self) -> None:
        self._container = _open(self.info.path)
        stream = _video_stream(self._container, self.info.path)
        # Threading can only be chosen before the codec opens, i.e. before the first decode.
        stream.codec_context.thread_type = "AUTO"
        stream.codec_context.thread_count = self._threads

    def _restart(self, seek_index: int | None) -> None:
        """Decode from the start, or seek to the keyframe at `seek_index`."""
        if self._container is None or (seek_index is None and self._frames is not None):
            # Seeking back to 0 is unreliable in some containers (AVI); reopening is not.
            self.close()
            self._open_decoder()
        container = self._container
        assert container is not None
        stream = _video_stream(container, self.info.path)
        if seek_index is None:
            self._frames = self._counted(container, stream)
            self._next_index = 0
        else:
            try:
                container.seek(int(self.info.frame_pts[seek_index]), stream=stream, backward=True, any_frame=False)
            except _FFMPEG_ERRORS as exc:
                raise _LostPlace from exc
            self._frames = self._placed_by_pts(container, stream)
            self._next_index = seek_index
            self.seeks += 1
        self._last = None

    def _decoded(self, container, stream) -> Iterator[av.VideoFrame]:
        try:
            yield from container.decode(stream)
        except _FFMPEG_ERRORS as exc:
            # A damaged tail ends the clip here; earlier frames stay usable.
            log.info("decoding %s stopped: %s", self.info.path.name, exc)

    def _counted(self, container, stream) -> Iterator[tuple[int, av.VideoFrame]]:
        # From the start, decode order is display order: the n-th frame out is frame n,
        # whatever its (possibly faked) timestamp says.
        for n, frame in enumerate(self._decoded(container, stream)):
            yield n, frame

    def _placed_by_pts(self, container, stream) -> Iterator[tuple[int, av.VideoFrame]]:
        pts = self.info.frame_pts
        for frame in self._decoded(container, stream):
            i = int(np.searchsorted(pts, frame.pts)) if frame.pts is not None else len(pts)
            if i >= len(pts) or pts[i] != frame.pts:
                raise _LostPlace
            yield i, frame

    def _fetch(self, missing: list[int], keep: set[int], cache: dict[int, tuple[np.ndarray, float]]) -> None:
        """Decode until every index in `missing` (sorted) is in `cache`, converting only `keep`."""
        try:
            self._fetch_once(missing, keep, cache)
        except _LostPlace:
            log.info("lost frame positions after a seek in %s; decoding from the start", self.info.path.name)
            self.info = _without_seeking(self.info)
            self._restart(seek_index=None)
            self._fetch_once(missing, keep, cache)

    def _fetch_once(self, missing: list[int], keep: set[int], cache: dict[int, tuple[np.ndarray, float]]) -> None:
        first, last = missing[0], missing[-1]
        if self._eof_index is not None and first > self._eof_index:
            self._fill_past_end(missing, cache)
            return
        self._position_for(first)
        assert self._frames is not None
        for i, frame in self._frames:
            self._last = (i, frame)
            self._next_index = i + 1
            self.decoded_frames += 1
            if i in keep and i not in cache and i >= first:
                cache[i] = (self._convert(frame), self._time_of(i, frame))
            if i >= last:
                return
        # The decoder ran out before the plan did (frame count estimated high, damaged tail).
        self._eof_index = self._last[0] if self._last else -1
        self._fill_past_end(missing, cache)

    def _position_for(self, first: int) -> None:
        """Seek or restart so the decoder's next frame is at or before `first`, if worth it."""
        info = self.info
        if first < self._next_index:
            # Going back: seek if the clip allows it, else decode again from the start.
            key = self._keyframe_at_or_before(first)
            self._restart(seek_index=key if info.seekable else None)
            return
        if not info.seekable:
            return
        key = self._keyframe_at_or_before(first)
        if key is not None and key - self._next_index > SEEK_MIN_SAVED_FRAMES:
            self._restart(seek_index=key)

    def _keyframe_at_or_before(self, index: int) -> int | None:
        keys = self.info.keyframe_indices
        k = int(np.searchsorted(keys, index, side="right")) - 1
        return int(keys[k]) if k >= 0 else None

    def _fill_past_end(self, missing: list[int], cache: dict[int, tuple[np.ndarray, float]]) -> None:
        if self._last is None:
            raise _bad(self.info.path, f"The video in this clip has no frames that can be decoded: {self.info.path.name}.")
        last_i, last_frame = self._last
        held = cache.get(last_i) or (self._convert(last_frame), self._time_of(last_i, last_frame))
        for i in missing:
            if i not in cache:
                cache[i] = held

    def _time_of(self, index: int, frame: av.VideoFrame) -> float:
        times = self.info.frame_times_s
        if index < len(times):
            return float(times[index])
        return float(frame.time or 0.0) - float(times[0] if len(times) else 0.0)

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        """Scale and convert in FFmpeg, then turn the picture upright."""
        h, w = RESIZE_HW
        quarter_turns = self.info.rotation // 90
        if quarter_turns % 2:
            w, h = h, w  # scaled so that it is 128 x 171 once rotated
        try:
            interpolation = interpolation_for(frame.width, frame.height, w, h)
            rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation=interpolation).to_ndarray()
        except _FFMPEG_ERRORS as exc:
            raise _bad(self.info.path, f"A frame of this clip cannot be converted: {self.info.path.name}.", exc) from exc
        # rotation is counter-clockwise, as np.rot90 turns for positive k.
        return np.rot90(rgb, quarter_turns) if quarter_turns else rgb


class _LostPlace(Exception):
    """A frame met after a seek has a timestamp the probe did not see."""


def _without_seeking(info: VideoInfo) -> VideoInfo:
    return replace(info, seekable=False)
