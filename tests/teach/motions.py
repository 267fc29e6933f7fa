"""Synthetic motion clips for teaching tests: the app's own renderer, six taught motions and
three untaught ones, in training renders and in held-out renders of other colours, sizes and speeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kinetoscope.engine.demo.synthetic import encode_clip, random_spec, render_frames

TAUGHT = ("moving left", "moving right", "rotating clockwise", "rotating counterclockwise", "growing", "shrinking")
UNTAUGHT = ("moving up", "moving down", "still")
FPS = 25
SECONDS = 2.0
SIZE = 192


def render(folder: Path, motion: str, seed: int) -> Path:
    """One clip of `motion`; every seed gives other shapes, colours, sizes, speeds and backgrounds."""
    rng = np.random.default_rng(seed)
    spec = random_spec(rng, motion, duration=SECONDS)
    path = folder / f"{motion.replace(' ', '_')}_{seed}.mp4"
    if not path.exists():
        encode_clip(path, render_frames(spec, SIZE, SIZE, FPS, int(SECONDS * FPS)), FPS)
    return path


def training_clips(folder: Path, per_motion: int = 3) -> dict[str, list[Path]]:
    return {m: [render(folder, m, 100 * i + k) for k in range(per_motion)] for i, m in enumerate(TAUGHT)}


def held_out_clips(folder: Path, per_motion: int = 2, motions: tuple[str, ...] = TAUGHT) -> dict[str, list[Path]]:
    return {m: [render(folder, m, 10_000 + 100 * i + k) for k in range(per_motion)] for i, m in enumerate(motions)}
