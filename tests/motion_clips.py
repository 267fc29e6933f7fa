"""Generated clips whose motion changes at known times: the demo renderer's motions joined end to end."""

from __future__ import annotations

import itertools
from pathlib import Path

from kinetoscope.engine.media.synthetic import MotionSpec, encode_clip, render_frames

# (motion, seconds, where the object starts): starts chosen so each motion stays in the frame.
MOTIONS = (("moving left", 5, (0.7, 0.5)), ("rotating clockwise", 5, (0.5, 0.5)), ("moving down", 4, (0.5, 0.3)))
FPS = 15


def motion_spec(motion: str, centre: tuple[float, float]) -> MotionSpec:
    """A fixed, held-out-style object doing `motion` at a speed the demo model sees clearly."""
    speed = {"rotating clockwise": 1.5, "growing": 0.35}.get(motion, 0.07)
    return MotionSpec(motion, "arrow", 0.32, centre, 0.4, speed, (230, 200, 40), (250, 240, 150), "stripes",
                      (40, 60, 110), (70, 90, 150), "noise", 7)


def joined_motions(path: Path, count: int = 3, width: int = 320, height: int = 240) -> Path:
    """The first `count` of MOTIONS, one after the other, at FPS: the motion changes at 5 s and 10 s."""
    frames = itertools.chain.from_iterable(render_frames(motion_spec(m, c), width, height, FPS, s * FPS)
                                           for m, s, c in MOTIONS[:count])
    return encode_clip(path, frames, FPS)
