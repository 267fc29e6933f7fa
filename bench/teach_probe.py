"""How long training a taught model takes once the features exist: 10 actions x 10 examples.

    .venv/bin/python bench/teach_probe.py [--runs 5] [--actions 10] [--examples 10]

Times `train_probe` (the classifier, its leave-one-clip-out report, the rejection threshold and the
softmax scale) for both methods on 1024-d features of 3 views per example (for nearest class
mean also with I3D's 4 motion numbers beside them, whose weight it picks), and the logistic
regression's single final fit beside it (what training alone would cost without the report).
Prints medians over the runs; the features are random but shaped like I3D's (non-negative,
clustered per action), which is all the cost depends on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from kinetoscope.engine.teach.motion import MOTION_DIM, SOFT_NORM  # noqa: E402
from kinetoscope.engine.teach.probe import Block, _Prepared, train_probe  # noqa: E402


def features(actions: int, examples: int, views: int = 3, dim: int = 1024) -> tuple[list[np.ndarray], list[int]]:
    rng = np.random.default_rng(0)
    centres = np.abs(rng.normal(size=(actions, dim)))
    feats = [np.abs(centres[a] + 0.5 * rng.normal(size=(views, dim))).astype(np.float32)
             for a in range(actions) for _ in range(examples)]
    return feats, [a for a in range(actions) for _ in range(examples)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--actions", type=int, default=10)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--methods", default="ncm,logreg", help="comma-separated (default: %(default)s)")
    args = parser.parse_args()
    feats, classes = features(args.actions, args.examples)
    labels = tuple(f"action {i}" for i in range(args.actions))
    print(f"{args.actions} actions x {args.examples} examples x 3 views, 1024-d features; median of {args.runs} runs")
    for method in args.methods.split(","):
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            _, report = train_probe(feats, classes, labels, method)
            times.append(time.perf_counter() - t0)
        print(f"  {method:<7} train + leave-one-clip-out report: {statistics.median(times) * 1000:8.1f} ms "
              f"(LOO accuracy {report.accuracy:.0%})")
        if method == "ncm":
            rng = np.random.default_rng(1)
            with_motion = [np.hstack([f, rng.normal(size=(len(f), MOTION_DIM)).astype(np.float32)]) for f in feats]
            blocks = (Block(1024), Block(MOTION_DIM, SOFT_NORM, centred=False))
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                _, report = train_probe(with_motion, classes, labels, method, blocks)
                times.append(time.perf_counter() - t0)
            print(f"  ncm + motion numbers (weight picked):       {statistics.median(times) * 1000:8.1f} ms "
                  f"(LOO accuracy {report.accuracy:.0%})")
    if "logreg" not in args.methods:
        return 0
    x = np.concatenate(feats).astype(np.float64)
    y = np.concatenate([np.full(len(f), c) for f, c in zip(feats, classes)])
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        _Prepared("logreg", x, y, args.actions).final()
        times.append(time.perf_counter() - t0)
    print(f"  logreg  final fit alone:                    {statistics.median(times) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
