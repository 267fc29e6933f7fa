"""Probing clips: size, rate, frame timeline, keyframes and display rotation, without decoding.

Demuxing every packet is I/O-bound and about a hundred times cheaper than decoding; it gives an
exact frame count, each frame's timestamp and the seek points, which the reader then uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from kinetoscope.engine.errors import BadVideo

log = logging.getLogger(__name__)

# Containers whose packets carry real presentation timestamps, so a frame met after a seek can
# be placed by its pts. AVI and raw elementary streams only fake them.
_PTS_CONTAINERS = ("mov", "mp4", "matroska", "webm", "mpegts", "flv", "ogg")

# A clip counts as variable-rate when more than this share of its frame intervals strays more
# than a quarter from the typical one; a few dropped frames keep a clip constant-rate, as the
# reference treats them.
_VFR_IRREGULAR_SHARE = 0.1

FFMPEG_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError, RuntimeError)


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
    # The keyframes' decode timestamps, in step with `keyframe_indices`: demuxers that seek by
    # dts (MPEG-TS) must be given these, since with B-frames a keyframe's pts lies past it.
    keyframe_dts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False, compare=False)


def bad_video(path: Path, message: str, exc: BaseException | None = None) -> BadVideo:
    detail = f"{path}: {type(exc).__name__}: {exc}" if exc is not None else str(path)
    return BadVideo(message, detail=detail)


def _not_readable(path: Path, exc: BaseException | None = None) -> BadVideo:
    return bad_video(path, f"This file is not a video Kinetoscope can read: {path.name}.", exc)


def open_container(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise bad_video(path, f"The clip does not exist: {path.name}.")
    if path.stat().st_size == 0:
        raise bad_video(path, f"The clip is empty: {path.name}.")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except FFMPEG_ERRORS as exc:
        raise _not_readable(path, exc) from exc


def video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    # Cover art and thumbnails are video streams too; they are single pictures, not the clip.
    streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if not streams:
        raise bad_video(path, "The clip has no video stream.")
    return streams[0]


def _normal_rotation(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90


@dataclass
class _Scan:
    """What one pass over the video packets found."""

    pts: np.ndarray  # every frame's pts, sorted: display order
    keys: np.ndarray  # the keyframes' [pts, dts] rows, sorted by pts
    complete: bool  # every packet carried a pts
    first: av.VideoFrame | None  # the first frame the decoder put out


def _scan_packets(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path) -> _Scan:
    """Demux the video packets, decoding only until the first frame comes out.

    Reading packets is I/O-bound and ~100x cheaper than decoding, and gives an exact frame count,
    the timeline and the seek points. One pass from the start, without seeking back: timestamp 0
    may lie anywhere in a file whose clock starts elsewhere (MPEG-TS starts at any value and
    wraps), and some containers (AVI) seek back unreliably.
    """
    pts: list[int] = []
    keys: list[tuple[int, int]] = []
    complete = True
    first: av.VideoFrame | None = None
    drained = False
    try:
        for packet in container.demux(stream):
            if first is None:
                first = _first_frame_from(stream, packet, path)
            if packet.size == 0:  # the flush packet at the end; decoding it drains the decoder
                drained = True
                continue
            if packet.pts is None:
                complete = False
                pts.append(-1)
                continue
            pts.append(packet.pts)
            if packet.is_keyframe:
                dts = packet.dts if packet.dts is not None else packet.pts
                keys.append((packet.pts, min(dts, packet.pts)))
    except FFMPEG_ERRORS as exc:
        # A damaged tail: keep what was readable; the reader clamps to the last decodable frame.
        log.info("packet scan stopped early: %s", exc)
    if first is None and not drained:
        first = _first_frame_from(stream, None, path)
    return _Scan(np.sort(np.asarray(pts, np.int64)), np.asarray(sorted(keys), np.int64).reshape(-1, 2), complete, first)


def _first_frame_from(stream: av.video.stream.VideoStream, packet: av.Packet | None, path: Path) -> av.VideoFrame | None:
    try:
        frames = stream.decode(packet)
    except FFMPEG_ERRORS as exc:
        raise bad_video(path, f"The video in this clip cannot be decoded: {path.name}.", exc) from exc
    return frames[0] if frames else None


def _decodable_from(pts: np.ndarray, keys: np.ndarray, first_pts: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Drop the frames ahead of the first one the decoder outputs from the file's start.

    A recording cut out of a broadcast or a camera's stream starts mid-GOP: the decoder skips
    the frames that refer to pictures before the cut. Counting them would shift every frame the
    reader numbers by decoding from the start, so the timeline starts where decoding does.
    """
    if first_pts is None or len(pts) == 0 or first_pts == pts[0]:
        return pts, keys
    start = int(np.searchsorted(pts, first_pts))
    if start >= len(pts) or pts[start] != first_pts:
        return pts, keys  # the decoder's timestamp is not one the packets carry: leave it be
    return pts[start:], keys[keys[:, 0] >= first_pts]


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
    with open_container(path) as container:
        stream = video_stream(container, path)
        codec = stream.codec_context.name
        tb = stream.time_base or Fraction(1, 1)

        scan = _scan_packets(container, stream, path)
        first = scan.first
        if first is None:
            raise bad_video(path, f"The video in this clip has no frames that can be decoded: {path.name}.")
        rotation = _normal_rotation(first.rotation)
        if rotation == 0 and "rotate" in stream.metadata:
            # Old muxers wrote a clockwise "rotate" tag instead of a display matrix.
            try:
                rotation = _normal_rotation(-float(stream.metadata["rotate"]))
            except ValueError:
                pass
        coded_w, coded_h = first.width, first.height
        pix_fmt = first.format.name

        pts, keys, pts_complete = scan.pts, scan.keys, scan.complete
        pts_trusted = (
            pts_complete
            and container.format.name.split(",")[0] in _PTS_CONTAINERS
            and len(np.unique(pts)) == len(pts)
        )
        if pts_trusted:
            pts, keys = _decodable_from(pts, keys, first.pts)

        count = len(pts)
        declared = stream.frames or 0
        if declared and count < declared // 2:
            # The index promises far more than the file holds: a copy or recording cut short.
            raise bad_video(path, f"The clip is cut short or damaged: only {count} of its {declared} frames are there ({path.name}).")
        if count == 0:
            count = stream.frames or 0
        fps = _frame_rate(stream, pts, tb)
        if count == 0 and container.duration:
            count = max(1, round(container.duration / 1_000_000 * fps))

        duration_s = _duration(container, stream, pts, tb, fps, count)
        if pts_complete and len(pts) > 0:
            times = (pts - pts[0]).astype(np.float64) * float(tb)
            keyframe_indices = np.searchsorted(pts, keys[:, 0])
            vfr = _is_variable_rate(pts)
        else:
            times = np.arange(count, dtype=np.float64) / fps
            keyframe_indices = np.zeros(0, np.int64)
            vfr = False
        seekable = pts_trusted and len(keyframe_indices) > 1

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
        keyframe_dts=keys[:, 1] if len(keyframe_indices) else np.zeros(0, np.int64),
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
