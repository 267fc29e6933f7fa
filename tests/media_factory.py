"""Awkward video files made with PyAV, for tests that need to know exactly what a clip holds.

Every frame shows, in display orientation: a red block in the top-left corner (to check that a
reader turned the picture upright) and its frame number in binary as 8 black/white cells along
the bottom half (to check WHICH frame a reader returned). Rotated clips store the picture turned
the other way plus a display matrix, as phones do.

Files are made on first use and kept in pytest's cache folder, keyed by `VERSION`.
Use the session fixture `media` (import it into a test module or conftest):
`awkward("rot90")` returns the path of that clip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import numpy as np
import pytest

VERSION = 2
BITS = 8
RED = (230, 20, 20)
GRAY = 128


@dataclass(frozen=True)
class Spec:
    """How to make one clip."""

    codec: str
    width: int  # display size
    height: int
    frames: int
    fps: float = 30.0
    suffix: str = ".mp4"
    pix_fmt: str = "yuv420p"
    rotation: int = 0  # counter-clockwise display rotation written to the display matrix
    pts_ms: tuple[int, ...] | None = None  # explicit presentation times, for VFR clips
    options: tuple[tuple[str, str], ...] = ()
    audio_first: bool = False
    faststart: bool = False
    container_options: tuple[tuple[str, str], ...] = ()
    start_pts: int = 0  # the first frame's pts in frames: MPEG-TS clocks start anywhere and wrap
    # Share of the file cut away at the front on a TS packet boundary: a recording that starts
    # mid-GOP, as one cut out of a broadcast does.
    drop_head: float = 0.0


def _x264(keyint: int = 250, bframes: int = 0) -> tuple[tuple[str, str], ...]:
    return (("preset", "ultrafast"), ("x264-params", f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes={bframes}:log-level=none"))


def _mpeg2(gop: int = 30, bframes: int = 2) -> tuple[tuple[str, str], ...]:
    return (("g", str(gop)), ("bf", str(bframes)))


# MPEG-TS carries 90 kHz timestamps in 33 bits; they wrap every ~26.5 hours.
TS_WRAP_FRAMES_30FPS = 2**33 // 3000
# The ffmpeg tool starts the TS it writes at 1.4 s; cameras and broadcasts start anywhere.
TS_START_30FPS = 42


def _vfr_times(n: int) -> tuple[int, ...]:
    """Irregular intervals: bursts at ~30 fps and stalls at ~8 fps, as a phone in low light."""
    rng = np.random.default_rng(7)
    times, t = [], 0
    for i in range(n):
        times.append(t)
        t += int(rng.choice([33, 34, 33, 125, 40, 90]))
    return tuple(times)


SPECS: dict[str, Spec] = {
    "rot90": Spec("libx264", 48, 64, 20, rotation=90, options=_x264()),
    "rot270": Spec("libx264", 48, 64, 20, rotation=270, options=_x264()),
    "rot180": Spec("libx264", 64, 48, 20, rotation=180, options=_x264()),
    "vfr": Spec("libx264", 64, 48, 60, pts_ms=_vfr_times(60), options=_x264(keyint=10, bframes=2)),
    "short5": Spec("libx264", 64, 48, 5, options=_x264()),
    "tiny": Spec("libx264", 48, 32, 20, options=_x264()),
    "uhd": Spec("libx264", 3840, 2160, 2, options=_x264()),
    "portrait": Spec("libx264", 240, 320, 20, options=_x264()),
    "ten_bit": Spec("libx264", 64, 48, 20, pix_fmt="yuv420p10le", options=_x264()),
    "hevc": Spec("libx265", 64, 48, 20, options=(("preset", "ultrafast"), ("x265-params", "log-level=none"))),
    "vp9": Spec("libvpx-vp9", 64, 48, 20, suffix=".webm", options=(("deadline", "realtime"), ("cpu-used", "8"))),
    "av1": Spec("libsvtav1", 64, 64, 20, suffix=".mkv", options=(("preset", "12"),)),
    "mpeg4_avi": Spec("mpeg4", 64, 48, 40, fps=25, suffix=".avi", audio_first=True, options=(("bf", "2"),)),
    "slow6": Spec("libx264", 64, 48, 20, fps=6, options=_x264()),
    # Two minutes with a keyframe every second: long enough to show memory growth and seeking.
    "long": Spec("libx264", 64, 48, 1800, fps=15, options=_x264(keyint=15)),
    "faststart": Spec("libx264", 64, 48, 60, options=_x264(), faststart=True),
    # MPEG transport streams, as camcorders, dashcams and TV recordings write them: B-frames,
    # timestamps that start far from zero, no index (seeking goes by dts), 188/192-byte packets.
    "ts_h264": Spec("libx264", 64, 48, 300, suffix=".ts", options=_x264(keyint=30, bframes=2), start_pts=TS_START_30FPS),
    "ts_mpeg2": Spec("mpeg2video", 64, 48, 300, suffix=".ts", options=_mpeg2(), start_pts=TS_START_30FPS),
    "m2ts_h264": Spec("libx264", 64, 48, 300, suffix=".m2ts", options=_x264(keyint=30, bframes=3),
                      container_options=(("mpegts_m2ts_mode", "1"),), start_pts=TS_START_30FPS),
    # The 33-bit clock wraps two seconds in.
    "mts_wrap": Spec("libx264", 64, 48, 300, suffix=".mts", options=_x264(keyint=30, bframes=2),
                     start_pts=TS_WRAP_FRAMES_30FPS - 60),
    "ts_mid_gop": Spec("mpeg2video", 64, 48, 300, suffix=".ts", options=_mpeg2(gop=24), start_pts=TS_START_30FPS,
                       drop_head=0.3),
}


def display_picture(n: int, width: int, height: int) -> np.ndarray:
    """The upright picture of frame `n`: red top-left block and n's bits along the bottom."""
    img = np.full((height, width, 3), GRAY, np.uint8)
    img[: max(2, height // 4), : max(2, width // 4)] = RED
    cell = width / BITS
    for b in range(BITS):
        on = (n >> (BITS - 1 - b)) & 1
        img[height // 2 :, int(round(b * cell)) : int(round((b + 1) * cell))] = 255 if on else 0
    return img


def read_number(rgb: np.ndarray) -> int:
    """The frame number shown in an upright picture of any size (inverse of `display_picture`)."""
    h, w = rgb.shape[:2]
    luma = rgb.astype(np.float32).mean(axis=2)
    n = 0
    for b in range(BITS):
        x = int((b + 0.5) * w / BITS)
        n = (n << 1) | int(luma[int(h * 0.75), x] > 128)
    return n


def is_upright(rgb: np.ndarray) -> bool:
    """True when the red block sits in the top-left corner and nowhere else at the top."""
    h, w = rgb.shape[:2]

    def red(y: float, x: float) -> bool:
        r, g, b = (int(v) for v in rgb[int(y * h), int(x * w)])
        return r > 150 and g < 100 and b < 100

    return red(0.1, 0.1) and not red(0.1, 0.9) and not red(0.6, 0.1)


def make_clip(spec: Spec, path: Path) -> None:
    """Encode the clip described by `spec` to `path`."""
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its whole configuration otherwise
    turns = spec.rotation // 90
    coded_w, coded_h = (spec.height, spec.width) if turns % 2 else (spec.width, spec.height)
    options = {"movflags": "faststart"} if spec.faststart else {}
    options.update(spec.container_options)
    with av.open(str(path), "w", format="mpegts" if spec.suffix in _TS_SUFFIXES else None, options=options) as out:
        audio = out.add_stream("libmp3lame", rate=44100, layout="mono") if spec.audio_first else None
        rate = Fraction(spec.fps).limit_denominator(1001)
        video = out.add_stream(spec.codec, rate=rate, options=dict(spec.options))
        video.width, video.height, video.pix_fmt = coded_w, coded_h, spec.pix_fmt
        if spec.pts_ms is not None:
            video.codec_context.time_base = Fraction(1, 1000)
        if spec.rotation:
            video.set_display_rotation(spec.rotation)
        if audio is not None:
            _write_audio(out, audio, seconds=spec.frames / spec.fps)
        for n in range(spec.frames):
            # Stored turned back, so that applying the display rotation shows it upright.
            picture = np.ascontiguousarray(np.rot90(display_picture(n, spec.width, spec.height), -turns))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format=spec.pix_fmt)
            frame.pts = spec.pts_ms[n] if spec.pts_ms is not None else spec.start_pts + n
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    if spec.drop_head:
        packet = 192 if dict(spec.container_options).get("mpegts_m2ts_mode") == "1" else 188
        data = path.read_bytes()
        path.write_bytes(data[int(len(data) * spec.drop_head) // packet * packet :])


_TS_SUFFIXES = (".ts", ".mts", ".m2ts")


def _write_audio(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    # A quiet tone ahead of all video packets: the "audio comes first" layout.
    samples = int(44100 * seconds)
    t = np.arange(samples, dtype=np.float32) / 44100
    tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
    frame.sample_rate, frame.pts = 44100, 0
    out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_bad(name: str, folder: Path, good: Callable[[str], Path]) -> Path:
    """Files that are not readable video: truncated, random, text, empty, audio-only."""
    if name == "truncated":
        data = good("long").read_bytes()  # moov at the end: cut, it has no index at all
        path = folder / "truncated.mp4"
        path.write_bytes(data[: len(data) // 2])
    elif name == "truncated_faststart":
        data = good("faststart").read_bytes()  # index first: the tail's frames are missing
        path = folder / "truncated_faststart.mp4"
        path.write_bytes(data[: int(len(data) * 0.6)])
    elif name == "truncated_ts":
        data = good("ts_h264").read_bytes()  # tables and the start of the first picture only
        path = folder / "truncated.ts"
        path.write_bytes(data[: 188 * 4])
    elif name == "random":
        path = folder / "random.mp4"
        path.write_bytes(np.random.default_rng(3).integers(0, 256, 64_000, dtype=np.uint8).tobytes())
    elif name == "text":
        path = folder / "notes.mp4"
        path.write_text("These are not the frames you are looking for.\n" * 200)
    elif name == "empty":
        path = folder / "empty.mp4"
        path.write_bytes(b"")
    elif name == "audio_only":
        path = folder / "audio_only.mp4"
        with av.open(str(path), "w") as out:
            stream = out.add_stream("aac", rate=44100, layout="mono")
            _write_audio(out, stream, seconds=1.0)
    else:
        raise KeyError(name)
    return path


BAD = ("truncated", "truncated_faststart", "truncated_ts", "random", "text", "empty", "audio_only")


class MediaFolder:
    """Makes clips on first request and keeps them in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, name: str) -> Path:
        if name in BAD:
            return make_bad(name, self.folder, self)
        spec = SPECS[name]
        path = self.folder / f"{name}{spec.suffix}"
        if not path.exists():
            partial = path.with_name(f".{os.getpid()}.{path.name}")
            make_clip(spec, partial)
            partial.replace(path)  # atomic: a concurrent session never sees half a file
        return path


@pytest.fixture(scope="session")
def awkward(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> MediaFolder:
    """Session-wide maker of test clips; call it with a name from SPECS or BAD."""
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    if cache is not None:
        folder = Path(cache.mkdir(f"kinetoscope-media-v{VERSION}"))
    else:
        folder = tmp_path_factory.mktemp("media")
    return MediaFolder(folder)
