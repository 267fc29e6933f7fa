"""Rebuild everything for motion_demo: train (phase 1, 2, 3), export, quantise, bundle, samples, evaluate.

    .venv/bin/python models/motion_demo/build.py                # the whole pipeline (~85 min, 2 cores)
    .venv/bin/python models/motion_demo/build.py --from-phase1  # phases 2 and 3 from work/motion_demo_phase1.pt, then the rest
    .venv/bin/python models/motion_demo/build.py --from-phase2  # phase 3 from work/motion_demo_phase2.pt, then the rest
    .venv/bin/python models/motion_demo/build.py --skip-train   # reuse the final work/motion_demo.pt

Progress goes to stdout and models/motion_demo/work/build.log; figures to work/build.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bundle  # noqa: E402
import evaluate  # noqa: E402
import export  # noqa: E402
import quantize  # noqa: E402
import samples  # noqa: E402
import train  # noqa: E402
from config import CHECKPOINT, PHASE1_CHECKPOINT, PHASE2_CHECKPOINT, WORK  # noqa: E402


def log(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, flush=True)
    with open(WORK / "build.log", "a") as f:
        f.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the motion_demo model, bundles and samples.")
    parser.add_argument("--skip-train", action="store_true", help="reuse the final work/motion_demo.pt")
    parser.add_argument("--from-phase1", action="store_true", help="reuse work/motion_demo_phase1.pt, run phases 2 and 3")
    parser.add_argument("--from-phase2", action="store_true", help="reuse work/motion_demo_phase2.pt, run phase 3")
    parser.add_argument("--steps", type=int, default=train.DEFAULT_STEPS, help="phase-1 steps")
    parser.add_argument("--phase2-steps", type=int, default=train.PHASE2_STEPS)
    parser.add_argument("--phase2-lr", type=float, default=train.PHASE2_LR)
    parser.add_argument("--phase2-warmup", type=int, default=train.PHASE2_WARMUP)
    parser.add_argument("--phase3-steps", type=int, default=train.PHASE3_STEPS)
    parser.add_argument("--phase3-lr", type=float, default=train.PHASE3_LR)
    parser.add_argument("--phase3-warmup", type=int, default=train.PHASE3_WARMUP)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {}
    steps = [
        ("train phase 1", lambda: train.train(args.steps, threads=1)),
        ("train phase 2", lambda: train.train(args.phase2_steps, threads=1, resume=PHASE1_CHECKPOINT,
                                              lr=args.phase2_lr, warmup=args.phase2_warmup, offset=args.steps,
                                              out=PHASE2_CHECKPOINT, phase=2)),
        ("train phase 3", lambda: train.train(args.phase3_steps, threads=1, resume=PHASE2_CHECKPOINT,
                                              lr=args.phase3_lr, warmup=args.phase3_warmup,
                                              offset=args.steps + args.phase2_steps, out=CHECKPOINT, phase=3)),
        ("export", export.main),
        ("quantise", quantize.main),
        ("bundle", bundle.main),
        ("samples", samples.make),
        ("check samples", samples.check),
        ("evaluate", evaluate.main),
    ]
    if args.skip_train:
        if not CHECKPOINT.exists():
            raise SystemExit(f"--skip-train needs {CHECKPOINT}")
        steps = steps[3:]
    elif args.from_phase2:
        if not PHASE2_CHECKPOINT.exists():
            raise SystemExit(f"--from-phase2 needs {PHASE2_CHECKPOINT}")
        steps = steps[2:]
    elif args.from_phase1:
        if not PHASE1_CHECKPOINT.exists():
            raise SystemExit(f"--from-phase1 needs {PHASE1_CHECKPOINT}")
        steps = steps[1:]
    for name, step in steps:
        log(f"{name} ...")
        t0 = time.perf_counter()
        figures[name] = step()
        log(f"{name} done in {time.perf_counter() - t0:.0f} s")
    (WORK / "build.json").write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
