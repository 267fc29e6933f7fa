"""Motions that are not Kinetics labels, taught on I3D: the app's own renders of moving left/right,
rotating clockwise/counter-clockwise, growing and shrinking, 3 clips each, recognised in held-out
renders of other shapes, colours, sizes and speeds by the taught model (its ONNX graph, motion
nodes included), and untaught motions (up, down, still) rejected (slow: I3D on the CPU).

bench/teach_synthetic.py measures the same on more held-out clips, per method and feature block."""

from __future__ import annotations

import pytest

from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.teach import teaching
from i3d_fixtures import i3d_cache, i3d_session  # noqa: F401  (fixtures)
from motions import TAUGHT, UNTAUGHT, held_out_clips, training_clips

pytestmark = pytest.mark.slow

ACCURACY_BAR = 0.9


def test_synthetic_motions_are_recognised_in_held_out_renders(i3d_session, i3d_cache, tmp_path) -> None:
    for motion, paths in training_clips(tmp_path).items():
        for path in paths:
            teaching.add_example("motions", motion, path, session=i3d_session, cache=i3d_cache)
    result = teaching.train_set("motions", session=i3d_session, cache=i3d_cache)
    report = result.report
    classifier = VideoClassifier.open("motions", "cpu")
    # One view a clip keeps this to a few minutes; the bench averages three.
    verdicts = {(m, p.name): classifier.classify(p, views=1).top5[0].label
                for m, paths in held_out_clips(tmp_path).items() for p in paths}
    right = sum(m == label for (m, _), label in verdicts.items())
    untaught = {(m, p.name): classifier.classify(p, views=1)
                for m, paths in held_out_clips(tmp_path, motions=UNTAUGHT).items() for p in paths}
    rejected = sum(r.rejected for r in untaught.values())
    print(f"\nsynthetic motions: leave-one-clip-out {report.accuracy:.0%}, held-out {right}/{len(verdicts)}, "
          f"untaught rejected {rejected}/{len(untaught)}, block weights {report.block_weights}, "
          f"threshold {report.threshold:.3f}, trained in {report.train_seconds * 1000:.0f} ms")
    assert report.labels == TAUGHT
    assert right / len(verdicts) >= ACCURACY_BAR, verdicts
    assert rejected >= len(untaught) - 1, {k: r.top5[0] for k, r in untaught.items()}
