"""Teaching I3D motions that are not Kinetics labels: held-out accuracy, rejection, methods, cache.

    .venv/bin/python bench/teach_synthetic.py [--cache DIR] [--fixed-look] [--views 3] [--held-out 4]
                                              [--precision float|w8a8]

Renders the app's own synthetic motions (tests/teach/motions.py: moving left/right, rotating
clockwise/counter-clockwise, growing, shrinking), 3 training clips each and 4 held-out clips each
(--held-out) with other colours, sizes and speeds (`--fixed-look` keeps one shape, a plain background and a solid
texture, so only those vary), plus 2 clips each of untaught motions (moving up/down, still).
Extracts the bundled I3D's pooled features and the motion numbers (float or w8a8, CPU) through the
feature cache, then for the pooled features alone, with the motion numbers, and the motion numbers
alone, and for both methods, prints leave-one-clip-out accuracy, held-out accuracy (best taught
action, and with the rejection rule), how many untaught clips were rejected, and the training time. Also prints what the
feature cache saves: the first extraction pass against a second pass over the same examples.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "app"), str(REPO / "tests" / "teach")]

import motions  # noqa: E402
from kinetoscope.engine.media.synthetic import encode_clip, random_spec, render_frames  # noqa: E402
from kinetoscope.engine.files import sha256_file  # noqa: E402
from kinetoscope.engine.inference.session import ModelSession  # noqa: E402
from kinetoscope.engine.modelfiles.bundle import open_bundle  # noqa: E402
from kinetoscope.engine.teach.action_set import Example  # noqa: E402
from kinetoscope.engine.teach.example_features import extract_features, feature_blocks  # noqa: E402
from kinetoscope.engine.teach.feature_cache import FeatureCache  # noqa: E402
from kinetoscope.engine.teach.motion import MOTION_DIM  # noqa: E402
from kinetoscope.engine.teach.probe import METHODS, NONE_LABEL, single_block, train_probe  # noqa: E402

MODELS = REPO / "app" / "kinetoscope" / "data" / "models"


def fixed_look(folder: Path, motion: str, seed: int) -> Path:
    path = folder / f"fixed_{motion.replace(' ', '_')}_{seed}.mp4"
    if not path.exists():
        spec = random_spec(np.random.default_rng(seed), motion, families=("arrow",), duration=motions.SECONDS)
        spec = replace(spec, background="plain", texture="solid", seed=7)
        encode_clip(path, render_frames(spec, motions.SIZE, motions.SIZE, motions.FPS,
                                        int(motions.SECONDS * motions.FPS)), motions.FPS)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kinetoscope-bench" / "teach-features")
    parser.add_argument("--clips", type=Path, default=Path.home() / ".cache" / "kinetoscope-bench" / "teach-clips")
    parser.add_argument("--fixed-look", action="store_true", help="vary only colours, sizes and speeds")
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--precision", choices=("float", "w8a8"), default="float",
                        help="which I3D gives the features (w8a8: its CPU graph, the HTP's arithmetic)")
    parser.add_argument("--held-out", type=int, default=4, help="held-out clips per motion")
    args = parser.parse_args()
    args.clips.mkdir(parents=True, exist_ok=True)
    render = (lambda m, s: fixed_look(args.clips, m, s)) if args.fixed_look else \
        (lambda m, s: motions.render(args.clips, m, s))
    sets = {
        "train": [(m, render(m, 100 * i + k)) for i, m in enumerate(motions.TAUGHT) for k in range(3)],
        "held_out": [(m, render(m, motions.held_out_seed(m, k))) for m in motions.TAUGHT for k in range(args.held_out)],
        "untaught": [(m, render(m, motions.held_out_seed(m, k))) for m in motions.UNTAUGHT for k in range(2)],
    }
    session = ModelSession(open_bundle(MODELS / f"i3d_kinetics-onnx-{args.precision}.zip"), "cpu")
    cache = FeatureCache(args.cache)

    def pass_over() -> tuple[dict[str, list[tuple[str, np.ndarray]]], float]:
        t0 = time.perf_counter()
        out = {part: [(m, extract_features(session, Example(p, sha256_file(p)), cache=cache, views=args.views))
                      for m, p in rows] for part, rows in sets.items()}
        return out, time.perf_counter() - t0

    hits0, misses0 = cache.hits, cache.misses
    feats, first_s = pass_over()
    print(f"features, first pass: {first_s:.1f} s ({cache.misses - misses0} extracted, {cache.hits - hits0} cached)")
    hits1, misses1 = cache.hits, cache.misses
    feats, second_s = pass_over()
    print(f"features, second pass: {second_s:.2f} s ({cache.misses - misses1} extracted, {cache.hits - hits1} cached)")
    labels = motions.TAUGHT
    blocks = feature_blocks(session.bundle)
    variants = {"pooled": (lambda f: f[:, :blocks[0].size], single_block(blocks[0].size))}
    if len(blocks) > 1:
        variants["pooled+motion"] = (lambda f: f, blocks)
        variants["motion"] = (lambda f: f[:, -MOTION_DIM:], (blocks[-1],))
    for variant, (pick, parts) in variants.items():
        for method in METHODS:
            train = [(m, pick(f)) for m, f in feats["train"]]
            held_out = [(m, pick(f)) for m, f in feats["held_out"]]
            untaught = [(m, pick(f)) for m, f in feats["untaught"]]
            head, report = train_probe([f for _, f in train], [labels.index(m) for m, _ in train], labels, method,
                                       parts)
            verdicts = [[*labels, NONE_LABEL][int(np.argmax(head.probabilities(f).mean(axis=0)))] for _, f in held_out]
            best = [labels[int(np.argmax(head.probabilities(f).mean(axis=0)[:-1]))] for _, f in held_out]
            truth = [m for m, _ in held_out]
            rejected = sum(int(np.argmax(head.probabilities(f).mean(axis=0))) == len(labels) for _, f in untaught)
            print(f"{variant:<13} {method:<7} LOO {report.accuracy:.0%} (with rejection {report.accepted_accuracy:.0%});"
                  f" held-out {np.mean([b == t for b, t in zip(best, truth)]):.0%} (with rejection "
                  f"{np.mean([v == t for v, t in zip(verdicts, truth)]):.0%}) of {len(truth)}; untaught rejected "
                  f"{rejected}/{len(untaught)}; trained in {report.train_seconds * 1000:.0f} ms; "
                  f"block weights {report.block_weights}")
            wrong = [f"{t} -> {v}" for t, v in zip(truth, verdicts) if t != v]
            print("        wrong held-out verdicts:", ", ".join(wrong) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
