"""Synthetic motion clips for teaching tests: the app's own renderer, six taught motions and
three untaught ones, in training renders and in held-out renders of other colours, sizes and speeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kinetoscope.engine.demo.synthetic import encode_clip, random_spec, render_frames

TAUGHT = ("moving left", "moving right", "rotating clockwise", "rotating counterclockwise", "growing", "shrinking")
UNTAUGHT = ("moving up", "moving down", "still")
TAUGHT_AND_NOT = TAUGHT + UNTAUGHT
FPS = 25
SECONDS = 2.0
SIZE = 192


def frames_of(motion: str, seed: int) -> Iterator[np.ndarray]:
    """The frames of one clip of `motion`; every seed gives other shapes, colours, sizes, speeds
    and backgrounds."""
    spec = random_spec(np.random.default_rng(seed), motion, duration=SECONDS)
    return render_frames(spec, SIZE, SIZE, FPS, int(SECONDS * FPS))


def held_out_seed(motion: str, k: int) -> int:
    return 10_000 + 100 * TAUGHT_AND_NOT.index(motion) + k


def render(folder: Path, motion: str, seed: int) -> Path:
    """One clip of `motion` as an H.264 file (rendered once per folder)."""
    path = folder / f"{motion.replace(' ', '_')}_{seed}.mp4"
    if not path.exists():
        encode_clip(path, frames_of(motion, seed), FPS)
    return path


def training_clips(folder: Path, per_motion: int = 3) -> dict[str, list[Path]]:
    return {m: [render(folder, m, 100 * i + k) for k in range(per_motion)] for i, m in enumerate(TAUGHT)}


def held_out_clips(folder: Path, per_motion: int = 2, motions: tuple[str, ...] = TAUGHT) -> dict[str, list[Path]]:
    return {m: [render(folder, m, held_out_seed(m, k)) for k in range(per_motion)] for m in motions}
