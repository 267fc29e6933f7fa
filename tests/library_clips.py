"""Clips for the library's tests: the shared real clips, and compilations of them made with PyAV."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import av
import numpy as np

from kinetoscope.engine.media.synthetic import encode_clip


def real_frames(clip: Path, width: int, height: int) -> Iterator[np.ndarray]:
    """Every frame of `clip` as RGB at width x height."""
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24", width=width, height=height)


def compilation(path: Path, clips: Sequence[Path], *, width: int = 170, height: int = 128, fps: int = 25,
                times: int = 1) -> Path:
    """The clips one after another (`times` over), re-encoded at one size and rate (H.264)."""
    def frames() -> Iterator[np.ndarray]:
        for _ in range(times):
            for clip in clips:
                yield from real_frames(clip, width, height)
    return encode_clip(path, frames(), fps)


def copy_into(folder: Path, clips: Sequence[Path]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(c, folder / c.name)) for c in clips]
