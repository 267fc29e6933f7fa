"""Where recordings go and in which format: the Videos folder, timestamped MP4 files."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs
from PySide6.QtMultimedia import QMediaFormat

log = logging.getLogger(__name__)

# Best first. H.264 plays everywhere; Qt's FFmpeg offers it where the platform has an encoder
# (Media Foundation's h264_mf on Windows, VideoToolbox on macOS); Linux wheels are LGPL builds
# without libx264, so they fall back to HEVC or MPEG-4 Part 2, which PyAV and players read.
_CODEC_PREFERENCE = (
    (QMediaFormat.VideoCodec.H264, "H.264"),
    (QMediaFormat.VideoCodec.H265, "H.265"),
    (QMediaFormat.VideoCodec.MPEG4, "MPEG-4 Part 2"),
)


@dataclass(frozen=True)
class RecordingFormat:
    """The container and codec chosen for recordings, and how to name them for people."""

    media_format: QMediaFormat
    codec_name: str
    suffix: str = ".mp4"


def recordings_dir() -> Path:
    """The user's Videos folder; under `KINETOSCOPE_HOME` when set, so tests never touch it."""
    override = os.environ.get("KINETOSCOPE_HOME")
    if override:
        return Path(override).expanduser() / "Videos"
    return Path(platformdirs.user_videos_dir())


def recording_path(folder: Path | None = None, now: datetime | None = None, suffix: str = ".mp4") -> Path:
    """A new, unused file name such as `Kinetoscope 2025-01-31 14-05-09.mp4` in `folder`."""
    folder = folder or recordings_dir()
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H-%M-%S")
    path = folder / f"Kinetoscope {stamp}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"Kinetoscope {stamp} ({n}){suffix}"
        n += 1
    return path


def choose_recording_format() -> RecordingFormat:
    """MP4 with the best video codec this Qt build can encode (see `_CODEC_PREFERENCE`)."""
    fmt = QMediaFormat(QMediaFormat.FileFormat.MPEG4)
    offered = set(fmt.supportedVideoCodecs(QMediaFormat.ConversionMode.Encode))
    for codec, name in _CODEC_PREFERENCE:
        if codec in offered:
            fmt.setVideoCodec(codec)
            break
    else:
        # Let the backend pick; it still writes MP4.
        name = "the default codec"
    log.info("recording as MP4 with %s (encoders offered: %s)", name,
             ", ".join(c.name for c in sorted(offered, key=lambda c: c.value)) or "none")
    if QMediaFormat.AudioCodec.AAC in fmt.supportedAudioCodecs(QMediaFormat.ConversionMode.Encode):
        fmt.setAudioCodec(QMediaFormat.AudioCodec.AAC)
    return RecordingFormat(fmt, name)
