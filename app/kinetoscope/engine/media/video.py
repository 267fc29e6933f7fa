"""Reading clips: streaming the frames a sampling plan names, upright and resized.

Decoding is the expensive part of classifying a clip, so the reader decodes forward once, seeks
over long gaps between views, and lets FFmpeg scale and convert only the frames it keeps. It
holds at most the frames of the views still to come that it has already passed. Every seek is
checked against the probe's timeline; when frames cannot be placed on it, the reader decodes
forward from the start and numbers frames by count.

PyAV does not apply a clip's display rotation (phone videos), so the reader does: it scales the
coded picture to the size the model's recipe asks for once rotated, then rotates it in numpy.
"""

from __future__ import annotations

import itertools
import logging
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from kinetoscope.engine.media.preprocess import center_crop
from kinetoscope.engine.media.probe import FFMPEG_ERRORS, VideoInfo, bad_video, open_container, probe, video_stream
from kinetoscope.engine.recipe import Resize
from kinetoscope.engine.media.sampling import ViewSpec

log = logging.getLogger(__name__)

__all__ = ["VideoInfo", "VideoReader", "ViewFrames", "probe"]

# Which swscale filter comes closest to the reference's resize (torch bilinear, no antialias),
# measured on the shared clips (tests/test_preprocess_reference.py): up to ~3x down, torch blends
# two neighbours about as wide as a pixel of the output, like AREA; far beyond, it samples two
# adjacent pixels out of many, which POINT resembles and any antialiasing filter does not.
_POINT_ABOVE_DOWNSCALE = 4.0


def interpolation_for(src_w: int, src_h: int, dst_w: int, dst_h: int, *, antialias: bool = False) -> str:
    """The swscale interpolation that best matches the reference resize for this scale.

    With `antialias` (torchvision's antialiased bilinear), swscale's BILINEAR, whose filter widens
    with the shrink factor as torchvision's does, at every scale.
    """
    factor = max(src_w / dst_w, src_h / dst_h)
    if factor <= 1.0 or antialias:
        return "BILINEAR"
    return "POINT" if factor > _POINT_ABOVE_DOWNSCALE else "AREA"


# Seeking costs a decoder flush and a refill of its threads; below this many frames of saved
# decoding it is cheaper to keep decoding forward.
SEEK_MIN_SAVED_FRAMES = 12

@dataclass(frozen=True)
class ViewFrames:
    """The frames of one view: uint8 RGB [frames, height, width, 3], upright, and when they were shown."""

    view: ViewSpec
    rgb: np.ndarray
    times_s: tuple[float, ...]


class VideoReader:
    """Streams the frames named by views, upright and resized as a recipe says. A context manager."""

    def __init__(self, path: str | Path, *, resize: Resize, threads: int = 0, info: VideoInfo | None = None,
                 crop: tuple[int, int] | None = None) -> None:
        """Probe and open the clip; `threads` = 0 lets FFmpeg pick the decoder's thread count.

        Pass `info` from an earlier `probe(path)` to skip probing again (it demuxes the whole file).
        With `crop` (height, width), frames are cut to their centre crop as they are converted, so
        the reader holds and hands out only what a model sees (for I3D on 1080p: 43 % of the frame).
        """
        self.info = info if info is not None and info.path == Path(path) else probe(path)
        self._resize = resize
        self._scaled = resize.output_size(self.info.width, self.info.height)
        self._crop = crop
        # (height, width) of every upright frame handed out.
        self.size = crop if crop is not None else self._scaled
        self._threads = threads
        # One scaler for every frame: `frame.reformat` builds a new swscale context per frame,
        # which costs more than the scaling itself (in a 1080p scan: 2.5 ms a frame against 0.86 ms).
        self._scaler = VideoReformatter()
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._next_index = 0  # index of the next frame the decoder will hand out
        self._last: tuple[int, av.VideoFrame] | None = None  # latest decoded frame, for clamping
        self._eof_index: int | None = None  # last decodable index, once the end was met
        self.decoded_frames = 0  # frames the decoder produced, for benchmarks and tests
        self.seeks = 0
        # Set once a seek by a keyframe's pts landed past it: this demuxer seeks by dts (MPEG-TS).
        self._seek_by_dts = False
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
            yield self._assemble(view, cache)
            for i in wanted:
                still_needed[i] -= 1
                if still_needed[i] <= 0:
                    del still_needed[i]
                    cache.pop(i, None)

    def read_windows(self, windows: Iterable[ViewSpec]) -> Iterator[ViewFrames]:
        """Yield each window's frames, taking the windows lazily from a long, forward-moving stream.

        Unlike `read_views`, nothing is planned ahead, so a scan of an hour-long clip holds no
        per-frame state: a window's frames are kept only while later windows can still share them.
        Windows whose first source frame never goes back (a scan's) are decoded in one forward
        pass; any other order still works but seeks or decodes again.
        """
        cache: dict[int, tuple[np.ndarray, float]] = {}
        for view in windows:
            first = min(view.source_indices)
            # Later windows start no earlier than this one, so frames before it are done with.
            for i in [i for i in cache if i < first]:
                del cache[i]
            missing = [i for i in sorted(set(view.source_indices)) if i not in cache]
            if missing:
                self._fetch(missing, set(missing), cache)
            yield self._assemble(view, cache)

    def _assemble(self, view: ViewSpec, cache: dict[int, tuple[np.ndarray, float]]) -> ViewFrames:
        rgb = np.empty((len(view.source_indices), *self.size, 3), np.uint8)
        times = []
        for j, i in enumerate(view.source_indices):
            rgb[j], t = cache[i]
            times.append(t)
        return ViewFrames(view=view, rgb=rgb, times_s=tuple(times))

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
        self._container = open_container(self.info.path)
        stream = video_stream(self._container, self.info.path)
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
        stream = video_stream(container, self.info.path)
        if seek_index is None:
            self._frames = self._counted(container, stream)
            self._next_index = 0
        else:
            self._frames = self._seek(container, stream, seek_index)
            self._next_index = seek_index
        self._last = None

    def _seek(self, container, stream, key: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Seek to the keyframe `key` and return the frames from there, checked to start at it.

        Demuxers seek by pts or by dts, depending on the container and not flagged reliably.
        With B-frames a keyframe's pts lies past its dts, so a dts-seeking demuxer given the pts
        lands on a later packet and the decoder then drops everything until the next keyframe.
        That shows as a first frame past `key`; the seek is then redone with the keyframe's dts.
        """
        for by_dts in (False, True) if not self._seek_by_dts else (True,):
            target = self._seek_target(key, by_dts)
            if target is None:
                break
            try:
                container.seek(target, stream=stream, backward=True, any_frame=False)
            except FFMPEG_ERRORS as exc:
                raise _LostPlace from exc
            self.seeks += 1
            frames = self._placed_by_pts(container, stream)
            landed = next(frames, None)
            # Frames shown before the keyframe (an open GOP's leading B-frames) are fine.
            if landed is not None and landed[0] <= key:
                self._seek_by_dts = by_dts
                return itertools.chain([landed], frames)
            if by_dts or self._seek_target(key, True) == target:
                break
            log.info("seeking %s by pts overshot keyframe %d; seeking by dts", self.info.path.name, key)
        raise _LostPlace

    def _seek_target(self, key: int, by_dts: bool) -> int | None:
        info = self.info
        if not by_dts:
            return int(info.frame_pts[key])
        keys = info.keyframe_indices
        k = int(np.searchsorted(keys, key))
        if len(info.keyframe_dts) != len(keys) or k >= len(keys) or keys[k] != key:
            return None
        return int(info.keyframe_dts[k])

    def _decoded(self, container, stream) -> Iterator[av.VideoFrame]:
        try:
            yield from container.decode(stream)
        except FFMPEG_ERRORS as exc:
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
            if i > self._next_index and _skips_needed(missing, self._next_index, i, cache):
                # Placed by pts, the decoder jumped over frames this view needs (it dropped
                # undecodable ones, or a seek landed late): the timeline no longer holds.
                raise _LostPlace
            self._last = (i, frame)
            self._next_index = i + 1
            self.decoded_frames += 1
            if i in keep and i not in cache and i >= first:
                cache[i] = (self._convert(frame), self._time_of(i))
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
            raise bad_video(self.info.path, f"The video in this clip has no frames that can be decoded: {self.info.path.name}.")
        last_i, last_frame = self._last
        held = cache.get(last_i) or (self._convert(last_frame), self._time_of(last_i))
        for i in missing:
            if i not in cache:
                cache[i] = held

    def _time_of(self, index: int) -> float:
        # Zero-based like the probe's timeline; past its end (a count that was estimated low),
        # continue it at the clip's rate rather than trust the frame's own clock.
        times = self.info.frame_times_s
        if index < len(times):
            return float(times[index])
        last = float(times[-1]) if len(times) else 0.0
        return last + (index - max(len(times) - 1, 0)) / self.info.fps

    def _convert(self, frame: av.VideoFrame) -> np.ndarray:
        """Scale and convert in FFmpeg, then turn the picture upright (and cut the crop, if asked)."""
        h, w = self._scaled
        quarter_turns = self.info.rotation // 90
        if quarter_turns % 2:
            w, h = h, w  # scaled so that it has the recipe's size once rotated
        try:
            interpolation = interpolation_for(frame.width, frame.height, w, h, antialias=self._resize.antialias)
            rgb = self._scaler.reformat(frame, width=w, height=h, format="rgb24",
                                        interpolation=interpolation).to_ndarray()
        except FFMPEG_ERRORS as exc:
            raise bad_video(self.info.path, f"A frame of this clip cannot be converted: {self.info.path.name}.", exc) from exc
        # rotation is counter-clockwise, as np.rot90 turns for positive k.
        upright = np.rot90(rgb, quarter_turns) if quarter_turns else rgb
        if self._crop is None:
            return upright
        return np.ascontiguousarray(center_crop(upright[None], self._crop)[0])


class _LostPlace(Exception):
    """Frames met after a seek cannot be placed on the probe's timeline, or skip needed ones."""


def _skips_needed(missing: list[int], start: int, stop: int, cache: dict[int, tuple[np.ndarray, float]]) -> bool:
    """Whether any of the sorted `missing` indices in [start, stop) is not yet in `cache`."""
    k = bisect_left(missing, start)
    while k < len(missing) and missing[k] < stop:
        if missing[k] not in cache:
            return True
        k += 1
    return False


def _without_seeking(info: VideoInfo) -> VideoInfo:
    return replace(info, seekable=False)
