"""The bundled demo model on real encoded clips: right labels, temporal order, orientation, NPU.

These are the end-to-end checks that the whole pipeline (decode, resample, resize, crop, model)
is right: a model that sees frames out of order confuses growing with shrinking, and one that sees
a phone clip sideways confuses up with left.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.inference.classify import classify_clip
from kinetoscope.engine.modelfiles.model_store import resolve_model
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.synthetic import MotionSpec, encode_clip, render_clip
from kinetoscope.engine.media.video import probe
from locations import SAMPLES

SAMPLE_LABELS = {
    "sample_rotating_clockwise.mp4": "rotating clockwise",
    "sample_moving_left.mp4": "moving left",
    "sample_moving_up_portrait.mp4": "moving up",
    "sample_growing.mp4": "growing",
}


@pytest.fixture(scope="module")
def sessions() -> dict[str, ModelSession]:
    return {p: ModelSession(open_bundle(resolve_model("motion_demo", p)), "cpu") for p in ("float", "w8a8")}


def _spec(motion: str, seed: int) -> MotionSpec:
    # A held-out-style object: fixed here so the test is deterministic.
    return MotionSpec(motion, "arrow", 0.32, (0.5, 0.5), 0.4, {"rotating clockwise": 1.5,
                      "rotating counterclockwise": 1.5, "growing": 0.35, "shrinking": 0.35}.get(motion, 0.07),
                      (230, 200, 40), (250, 240, 150), "stripes", (40, 60, 110), (70, 90, 150), "noise", seed)


def _top1(session: ModelSession, clip: Path, views: int = 3) -> str:
    return classify_clip(clip, session, views=views).top5[0].label


@pytest.mark.parametrize("name", sorted(SAMPLE_LABELS))
@pytest.mark.parametrize("precision", ["float", "w8a8"])
def test_bundled_samples_get_their_labels(sessions, name, precision):
    result = classify_clip(SAMPLES / name, sessions[precision])
    assert result.top5[0].label == SAMPLE_LABELS[name]
    assert result.top5[0].prob > 0.6


@pytest.mark.parametrize("forward,backward", [("moving left", "moving right"), ("growing", "shrinking"),
                                              ("rotating clockwise", "rotating counterclockwise")])
def test_playing_a_clip_backwards_gives_the_opposite_motion(sessions, tmp_path, forward, backward):
    frames = render_clip(_spec(forward, seed=21), 320, 240, 30, 45)
    ahead = encode_clip(tmp_path / "ahead.mp4", frames, 30)
    reverse = encode_clip(tmp_path / "reverse.mp4", frames[::-1], 30)
    assert _top1(sessions["float"], ahead) == forward
    assert _top1(sessions["float"], reverse) == backward


def _phone_clip(path: Path, frames: np.ndarray, rotation: int) -> Path:
    """Store frames turned back by `rotation` with a display matrix that turns them upright."""
    turns = rotation // 90
    coded = [np.ascontiguousarray(np.rot90(f, -turns)) for f in frames]
    h, w = coded[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for picture in coded:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("rotation", [90, 270])
def test_phone_clips_are_classified_upright(sessions, tmp_path, rotation):
    frames = render_clip(_spec("moving up", seed=8), 240, 320, 30, 45)  # portrait, as shown
    clip = _phone_clip(tmp_path / f"phone{rotation}.mp4", frames, rotation)
    info = probe(clip)
    assert (info.rotation, info.width, info.height) == (rotation, 240, 320)
    assert _top1(sessions["float"], clip) == "moving up"
    # The same pixels without the display matrix are sideways: the motion is then horizontal.
    unrotated = np.stack([np.rot90(f, -(rotation // 90)) for f in frames])
    sideways = encode_clip(tmp_path / "sideways.mp4", unrotated, 30)
    assert _top1(sessions["float"], sideways) in ("moving left", "moving right")


@pytest.mark.npu
def test_w8a8_runs_wholly_on_the_htp_and_agrees_with_the_cpu(sessions):
    npu = ModelSession(open_bundle(resolve_model("motion_demo", "w8a8")), "npu")
    assert npu.report.used == "npu" and npu.report.label == "NPU (HTP simulator)"
    assert npu.report.fallback_nodes == ()
    clip = SAMPLES / "sample_rotating_clockwise.mp4"
    on_npu = classify_clip(clip, npu, views=1)
    on_cpu = classify_clip(clip, sessions["w8a8"], views=1)
    assert on_npu.top5[0].label == on_cpu.top5[0].label == "rotating clockwise"
    assert np.abs(on_npu.probs - on_cpu.probs).max() < 0.05
