"""The synthetic motion renderer: deterministic, any frame size, and the motion matches the label."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from kinetoscope.engine.media.synthetic import (
    MOTION_LABELS,
    SHAPE_FAMILIES,
    MotionSpec,
    encode_clip,
    random_spec,
    render_clip,
    render_frames,
)

BG = (20, 30, 40)
FG = (230, 200, 60)


def plain(spec: MotionSpec, **changes: object) -> MotionSpec:
    """The same motion on a plain background with a solid object, so the object is easy to find."""
    return replace(spec, background="plain", bg=BG, bg2=BG, texture="solid", fg=FG, fg2=FG, **changes)


def spec_for(motion: str, family: str = "letter", seed: int = 0, **changes: object) -> MotionSpec:
    return plain(random_spec(np.random.default_rng(seed), motion=motion, families=(family,)), **changes)


def mask(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame.astype(int) - BG).sum(axis=-1) > 150


def centroid(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask(frame))
    return float(xs.mean()), float(ys.mean())


def orientation(frame: np.ndarray) -> float:
    """Principal-axis angle (radians, x right, y down): grows when the object turns clockwise."""
    ys, xs = np.nonzero(mask(frame))
    x, y = xs - xs.mean(), ys - ys.mean()
    return 0.5 * math.atan2(2 * (x * y).mean(), (x * x).mean() - (y * y).mean())


def test_labels_are_the_nine_motions_in_order() -> None:
    assert MOTION_LABELS == (
        "moving left", "moving right", "moving up", "moving down", "rotating clockwise",
        "rotating counterclockwise", "growing", "shrinking", "still",
    )


def test_same_seed_same_clip_and_other_seed_other_clip() -> None:
    a = random_spec(np.random.default_rng(42))
    b = random_spec(np.random.default_rng(42))
    c = random_spec(np.random.default_rng(43))
    assert a == b and a != c
    assert np.array_equal(render_clip(a, 171, 128, 15, 16), render_clip(b, 171, 128, 15, 16))
    assert not np.array_equal(render_clip(a, 171, 128, 15, 4), render_clip(c, 171, 128, 15, 4))


@pytest.mark.parametrize("width,height", [(48, 32), (171, 128), (33, 17), (31, 57), (240, 426), (1, 1)])
def test_frames_have_the_requested_size_and_type(width: int, height: int) -> None:
    spec = random_spec(np.random.default_rng(width * 1000 + height))
    frames = list(render_frames(spec, width, height, 24, 3))
    assert len(frames) == 3
    for f in frames:
        assert f.shape == (height, width, 3) and f.dtype == np.uint8


def test_motion_is_defined_in_seconds_not_frames() -> None:
    spec = random_spec(np.random.default_rng(5), motion="rotating clockwise")
    at_15 = render_clip(spec, 96, 64, 15, 4)
    at_60 = render_clip(spec, 96, 64, 60, 13)
    assert np.array_equal(at_15, at_60[::4])


@pytest.mark.parametrize(
    "motion,dx,dy", [("moving left", -1, 0), ("moving right", 1, 0), ("moving up", 0, -1), ("moving down", 0, 1)]
)
@pytest.mark.parametrize("width,height", [(171, 128), (240, 426)])
def test_translation_moves_the_centroid_the_labelled_way(motion: str, dx: int, dy: int, width: int, height: int) -> None:
    spec = spec_for(motion, family="blobs", seed=3, speed=0.3)
    first, last = render_clip(spec, width, height, 15, 16)[[0, -1]]
    (x0, y0), (x1, y1) = centroid(first), centroid(last)
    travel = 0.3 * 15 / 15  # frame fractions over the 15 frame steps
    assert (x1 - x0) / width == pytest.approx(dx * travel, abs=0.03)
    assert (y1 - y0) / height == pytest.approx(dy * travel, abs=0.03)


@pytest.mark.parametrize("motion,sign", [("growing", 1), ("shrinking", -1)])
def test_size_changes_make_the_area_change(motion: str, sign: int) -> None:
    spec = spec_for(motion, family="star", seed=4)
    areas = [mask(f).sum() for f in render_clip(spec, 171, 128, 15, 16)]
    ratio = areas[-1] / areas[0]
    assert ratio == pytest.approx(math.exp(2 * sign * spec.speed), rel=0.15)  # area ~ size squared
    assert all(sign * (b - a) >= 0 for a, b in zip(areas, areas[1:]))


@pytest.mark.parametrize("motion,sign", [("rotating clockwise", 1), ("rotating counterclockwise", -1)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rotation_turns_the_object_the_labelled_way(motion: str, sign: int, seed: int) -> None:
    spec = spec_for(motion, family="arrow", seed=seed, speed=1.2, size=0.5, centre=(0.5, 0.5))
    frames = render_clip(spec, 200, 200, 15, 3)
    turn = orientation(frames[2]) - orientation(frames[0])
    turn = (turn + math.pi / 2) % math.pi - math.pi / 2
    assert turn == pytest.approx(sign * 1.2 * 2 / 15, abs=0.03)
    assert centroid(frames[2]) == pytest.approx(centroid(frames[0]), abs=12)


def test_still_clips_do_not_change() -> None:
    frames = render_clip(random_spec(np.random.default_rng(9), motion="still"), 171, 128, 30, 8)
    assert all(np.array_equal(frames[0], f) for f in frames)


@pytest.mark.parametrize("family", SHAPE_FAMILIES)
def test_no_shape_looks_the_same_after_a_partial_turn(family: str) -> None:
    for seed in range(4):
        spec = spec_for("still", family=family, seed=seed, size=0.8, centre=(0.5, 0.5), angle=0.0)
        base = mask(render_clip(spec, 120, 120, 15, 1)[0])
        for k in range(2, 7):
            turned = mask(render_clip(replace(spec, angle=2 * math.pi / k), 120, 120, 15, 1)[0])
            differ = np.logical_xor(base, turned).sum() / base.sum()
            assert differ > 0.04, f"{family} seed {seed} looks {k}-fold symmetric"


def test_random_specs_keep_the_object_near_the_centre() -> None:
    rng = np.random.default_rng(11)
    for _ in range(300):
        spec = random_spec(rng, duration=16 / 15)
        for t in (0.0, 16 / 15):
            x, y, _, size = spec.pose(t)
            assert 0.15 < x < 0.85 and 0.1 < y < 0.9
            assert 0.09 < size < 0.46


def test_encode_clip_writes_a_playable_h264_file_with_even_size(tmp_path) -> None:
    av = pytest.importorskip("av")
    spec = random_spec(np.random.default_rng(2))
    path = encode_clip(tmp_path / "clip.mp4", render_frames(spec, 49, 33, 24, 10), fps=24)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == 10
    assert frames[0].shape == (34, 50, 3)
