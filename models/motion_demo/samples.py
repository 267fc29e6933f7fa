"""The sample clips in app/kinetoscope/data/samples/, and a check that the bundled model gets them right."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from config import FLOAT_ONNX, SAMPLES, W8A8_ONNX
from kinetoscope.engine.media.synthetic import MOTION_LABELS, MotionSpec, encode_clip, render_frames

MIN_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Sample:
    name: str
    spec: MotionSpec
    width: int
    height: int
    fps: int
    seconds: float
    min_confidence: float = MIN_CONFIDENCE


SAMPLE_LIST = (
    Sample(
        "sample_rotating_clockwise.mp4",
        MotionSpec("rotating clockwise", "letter", 0.38, (0.5, 0.52), 0.3, 1.4,
                   (240, 140, 30), (250, 215, 120), "stripes", (25, 40, 90), (45, 75, 135), "noise", 11),
        320, 240, 30, 5.0,
    ),
    Sample(
        "sample_moving_left.mp4",
        MotionSpec("moving left", "star", 0.3, (0.76, 0.5), 0.0, 0.13,
                   (200, 30, 60), (250, 120, 140), "gradient", (225, 225, 210), (180, 200, 190), "checker", 5),
        426, 240, 30, 4.0,
    ),
    Sample(
        "sample_moving_up_portrait.mp4",
        MotionSpec("moving up", "blobs", 0.35, (0.5, 0.76), 1.0, 0.13,
                   (30, 160, 90), (240, 240, 240), "checker", (60, 50, 40), (110, 90, 70), "gradient", 3),
        240, 426, 30, 4.0,
    ),
    # The weakest class of this model (see README): shorter and faster, so every view shows growth.
    Sample(
        "sample_growing.mp4",
        MotionSpec("growing", "blobs", 0.10, (0.5, 0.5), 2.0, 0.4,
                   (240, 200, 40), (250, 240, 150), "checker", (30, 60, 110), (60, 90, 150), "noise", 4),
        320, 240, 30, 3.5, min_confidence=0.6,
    ),
)


def make() -> list[str]:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    written = []
    for s in SAMPLE_LIST:
        frames = render_frames(s.spec, s.width, s.height, s.fps, round(s.fps * s.seconds))
        path = encode_clip(SAMPLES / s.name, frames, s.fps, crf=26)
        written.append(f"{path.name}: {path.stat().st_size / 1e3:.0f} KB")
        print("wrote", written[-1])
    return written


def check() -> dict[str, dict[str, object]]:
    """Classify each sample with both graphs as the app does (5 views, mean); fail if wrong."""
    from evaluate import VIEWS, cpu_session, read_views, run

    sessions = {"float": cpu_session(FLOAT_ONNX), "w8a8": cpu_session(W8A8_ONNX)}
    results: dict[str, dict[str, object]] = {}
    for s in SAMPLE_LIST:
        views = read_views(SAMPLES / s.name)
        assert len(views) == VIEWS
        row: dict[str, object] = {}
        for precision, session in sessions.items():
            probs = np.mean([run(session, v) for v in views], axis=0)
            top = int(np.argmax(probs))
            row[precision] = f"{MOTION_LABELS[top]} {probs[top]:.1%}"
            if MOTION_LABELS[top] != s.spec.motion or probs[top] < s.min_confidence:
                raise SystemExit(f"{s.name}: {precision} says {MOTION_LABELS[top]} ({probs[top]:.1%})")
        row["bytes"] = (SAMPLES / s.name).stat().st_size
        results[s.name] = row
        print(s.name, row)
    return results


if __name__ == "__main__":
    make()
    check()
