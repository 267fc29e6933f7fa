"""Teaching on I3D's features: synthetic motions that are not Kinetics labels, held out by colour,
size and speed; untaught motions rejected; the taught model in classify and scan (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from kinetoscope.engine.demo.synthetic import encode_clip
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.teach import teaching
from kinetoscope.engine.teach.probe import NONE_LABEL, train_probe
from conftest import features_of
from motions import TAUGHT, frames_of, held_out_seed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def features(i3d_session, i3d_cache, motion_clips):
    out = {}
    for part, by_motion in motion_clips.items():
        out[part] = [(m, features_of(i3d_session, i3d_cache, p)) for m, paths in by_motion.items() for p in paths]
    return out


def _verdict(head, f: np.ndarray) -> str:
    return [*TAUGHT, NONE_LABEL][int(np.argmax(head.probabilities(f).mean(axis=0)))]


@pytest.mark.parametrize("method", ["ncm", "logreg"])
def test_motions_taught_from_three_examples_are_recognised_in_other_renders(features, method) -> None:
    train = features["train"]
    head, report = train_probe([f for _, f in train], [TAUGHT.index(m) for m, _ in train], TAUGHT, method)
    held = features["held_out"]
    best = [TAUGHT[int(np.argmax(head.probabilities(f).mean(axis=0)[:-1]))] == m for m, f in held]
    accepted = [_verdict(head, f) == m for m, f in held]
    print(f"\n{method}: held-out {np.mean(best):.0%} (with rejection {np.mean(accepted):.0%}) "
          f"of {len(held)}; leave-one-clip-out {report.accuracy:.0%}; train {report.train_seconds * 1000:.0f} ms")
    if method == "ncm":  # the shipped method holds the bar; logreg is measured beside it
        assert np.mean(best) >= 0.9 and np.mean(accepted) >= 0.9


def test_untaught_motions_are_none_of_the_taught_actions(features) -> None:
    train = features["train"]
    head, _ = train_probe([f for _, f in train], [TAUGHT.index(m) for m, _ in train], TAUGHT)
    verdicts = [(m, _verdict(head, f)) for m, f in features["untaught"]]
    print("\nuntaught:", verdicts)
    assert sum(v == NONE_LABEL for _, v in verdicts) >= len(verdicts) - 1, verdicts


def test_the_taught_model_classifies_and_scans_like_any_model(i3d_session, i3d_cache, motion_clips, tmp_path) -> None:
    for motion, paths in motion_clips["train"].items():
        for path in paths:
            teaching.add_example("motions", motion, path, session=i3d_session, cache=i3d_cache)
    result = teaching.train_set("motions", session=i3d_session, cache=i3d_cache)
    assert (result.cache_hits, result.cache_misses) == (18, 0)
    classifier = VideoClassifier.open("motions", "cpu")
    assert classifier.bundle.labels == (*TAUGHT, NONE_LABEL)
    left, growing = motion_clips["held_out"]["moving left"][0], motion_clips["held_out"]["growing"][0]
    res = classifier.classify(left)
    assert res.top5[0].label == "moving left" and res.to_json()["rejected"] is False
    # A compilation: one motion, then another; the scan's segments name both, in order.
    frames = [*frames_of("moving left", held_out_seed("moving left", 0)),
              *frames_of("growing", held_out_seed("growing", 0))]
    compiled = encode_clip(tmp_path / "compilation.mp4", frames, 25)
    scan = classifier.scan(compiled)
    labels = [s.label for s in scan.segments]
    assert labels[0] == "moving left" and labels[-1] == "growing", scan.segments
