"""Rebuild everything for motion_demo: train, export, quantise, bundle, samples, evaluate.

    .venv/bin/python models/motion_demo/build.py               # the whole pipeline (~31 min, 2 cores)
    .venv/bin/python models/motion_demo/build.py --skip-train  # reuse work/motion_demo.pt (~5 min)

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
from config import CHECKPOINT, WORK  # noqa: E402


def log(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, flush=True)
    with open(WORK / "build.log", "a") as f:
        f.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the motion_demo model, bundles and samples.")
    parser.add_argument("--skip-train", action="store_true", help="reuse work/motion_demo.pt")
    parser.add_argument("--steps", type=int, default=train.STEPS, help="training steps")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {}
    steps = [
        ("train", lambda: train.train(args.steps)),
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
        steps = steps[1:]
    for name, step in steps:
        log(f"{name} ...")
        t0 = time.perf_counter()
        figures[name] = step()
        log(f"{name} done in {time.perf_counter() - t0:.0f} s")
    (WORK / "build.json").write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
