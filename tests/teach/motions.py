"""Synthetic motion clips for teaching tests: the app's own renderer, six taught motions and
three untaught ones, in training renders and in held-out renders of other colours, sizes and speeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from kinetoscope.engine.media.synthetic import encode_clip, random_spec, render_frames
from kinetoscope.engine.teach.motion import MOTION_DIM, motion_nodes
from kinetoscope.engine.teach.onnx_edit import FLOAT, Addition, Node, splice, value_info

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


FRAMES, SIDE = 32, SIZE  # I3D's frames; the renders' own size, a multiple of 4


def video_of(name: str, seed: int) -> np.ndarray:
    """One model input [1, 3, FRAMES, SIDE, SIDE] in 0–1 from a synthetic render of `name`."""
    frames = [f for _, f in zip(range(FRAMES), frames_of(name, seed))]
    clip = np.stack(frames).astype(np.float32) / 255.0           # [T, H, W, 3]
    return np.ascontiguousarray(clip.transpose(3, 0, 1, 2)[None])


def motion_graph(frames: int = FRAMES, side: int = SIDE) -> bytes:
    """A graph of only the motion nodes, output "motion" (spliced onto a trivial base, as a taught model gets them)."""
    base = helper.make_graph([helper.make_node("ReduceMean", ["video"], ["dummy"], keepdims=0)], "base",
                             [helper.make_tensor_value_info("video", TensorProto.FLOAT, [1, 3, frames, side, side])],
                             [helper.make_tensor_value_info("dummy", TensorProto.FLOAT, [])])
    model = helper.make_model(base, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    nodes = motion_nodes("video", frames, side, side)
    out = Addition((*nodes.nodes, Node("Identity", (nodes.output,), ("motion",), "motion/out")), nodes.initializers,
                   (value_info("motion", FLOAT, (1, MOTION_DIM)),))
    merged = onnx.load_from_string(splice(model.SerializeToString(), "dummy", out))
    onnx.checker.check_model(merged, full_check=True)
    return merged.SerializeToString()
