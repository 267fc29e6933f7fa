"""Benchmark: from starting Kinetoscope to the first top-5, split into its parts.

Two paths, each timed in fresh processes (the parts are measured inside the process, the total
from the process's own start, as the OS recorded it):

- **window**: what `kinetoscope gui CLIP` does — import the app, start Qt, build and show the
  main window, hand it the clip — until the window shows the first view's top-5. The parts come
  from the window's own signals (the engine's stages, the session being ready, the first view).
- **CLI**: what `kinetoscope classify CLIP` does — import, probe the clip, open the model (the
  zip, unpacked into the cache the first time), create the session, read and run the views,
  print — timed step by step with the engine's own functions.

"Cold" runs start with an empty Kinetoscope data and cache folder (the bundled model's zip is
unpacked and hashed first), "warm" ones with the folder the cold run left. The OS's file cache is
warm in both (this benchmark cannot empty it). Medians of `--runs`; `--baseline DIR` runs another
checkout the same way, interleaved, in the same run.

    .venv/bin/python bench/startup_bench.py [--runs 3] [--clip PATH] [--model i3d_kinetics] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO / "app" / "kinetoscope" / "data" / "samples" / "sample_arm_wrestling.mp4"


def _since_start() -> float:
    """Seconds since this process was started (the OS's record: it includes the interpreter's start)."""
    import psutil

    return time.time() - psutil.Process().create_time()


def window_worker(clip: str) -> dict[str, float]:
    marks = {"python started": _since_start()}
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kinetoscope.ui.app import application  # noqa: F401  (the imports `gui` makes)
    from kinetoscope.ui.main.window import MainWindow

    marks["imports"] = _since_start()
    app = application()
    marks["Qt started"] = _since_start()
    window = MainWindow()
    window.show()
    app.processEvents()
    marks["window shown"] = _since_start()
    runner = window.runner

    def on_stage(_clip: Path, text: str) -> None:
        # The job probes the clip, then says "Opening the model…", opens it, then "Preparing …".
        if text.startswith("Opening") and "clip probed" not in marks:
            marks["clip probed"] = _since_start()
        if text.startswith("Preparing") and "model opened" not in marks:
            marks["model opened"] = _since_start()

    runner.stage.connect(on_stage)
    runner.session_ready.connect(lambda *_: marks.setdefault("session ready", _since_start()))

    def on_view(*_: object) -> None:
        if "first top-5 shown" not in marks:
            app.processEvents()  # the predictions pane paints the running top-5
            marks["first top-5 shown"] = _since_start()
            app.quit()

    runner.view_ready.connect(on_view)
    runner.failed.connect(lambda _clip, failure: (marks.setdefault("failed", -1.0), app.quit()))
    window.open_paths([clip])
    app.exec()
    runner.shutdown()
    return marks


def cli_worker(clip: str, model: str) -> dict[str, float]:
    marks = {"python started": _since_start()}
    import kinetoscope.cli.main  # noqa: F401  (what `kinetoscope classify` imports)
    try:
        import kinetoscope.cli.classify_cmd  # noqa: F401  (one module per command since #23)
    except ImportError:
        from kinetoscope.cli import commands  # noqa: F401  (older checkouts: one module of commands)
    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.inference.session import ModelSession
    from kinetoscope.engine.media.video import probe
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.modelfiles.model_store import resolve_model

    marks["imports"] = _since_start()
    info = probe(clip)
    marks["clip probed"] = _since_start()
    bundle = open_bundle(resolve_model(model, None))
    marks["model opened"] = _since_start()
    classifier = VideoClassifier(ModelSession(bundle, "cpu"))
    marks["session ready"] = _since_start()
    first: list[float] = []
    result = classifier.classify(clip, info=info, on_view=lambda v: first.append(_since_start()))
    marks["first view"] = first[0]
    marks["top-5 (all views)"] = _since_start()
    marks["views"] = len(result.views)
    return marks


def measure(kind: str, clip: str, model: str, home: Path, checkout: Path) -> dict[str, float]:
    env = dict(os.environ, KINETOSCOPE_HOME=str(home), PYTHONPATH=str(checkout / "app"), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, clip, model], capture_output=True, text=True,
                          env=env, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(title: str, runs: dict[str, list[dict[str, float]]]) -> None:
    """Each mark's median time since the process started, and the part it adds."""
    print(f"\n{title}\n")
    names = list(next(iter(runs.values()))[0])
    heads = list(runs)
    print("| part (ends at) | " + " | ".join(f"{h}: at (s) | {h}: part (s)" for h in heads) + " |")
    print("|---|" + "---|---|" * len(heads))
    for i, name in enumerate(names):
        if name == "views":
            continue
        cells = []
        for h in heads:
            at = statistics.median(r[name] for r in runs[h])
            before = statistics.median(r[names[i - 1]] for r in runs[h]) if i else 0.0
            cells.append(f"{at:.2f} | {at - before:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians reported)")
    parser.add_argument("--clip", default=str(DEFAULT_CLIP), help="the clip to classify (default: the bundled sample)")
    parser.add_argument("--model", default="i3d_kinetics", help="model id (default: the default model)")
    parser.add_argument("--baseline", type=Path, help="another checkout, run the same way, interleaved")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "CLIP", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, clip, model = args.worker
        marks = window_worker(clip) if kind == "window" else cli_worker(clip, model)
        print(json.dumps(marks))
        return

    checkouts = {"this": REPO, **({"baseline": args.baseline} if args.baseline else {})}
    results: dict[tuple[str, str], dict[str, list[dict[str, float]]]] = {}
    for run in range(args.runs):
        for name, checkout in checkouts.items():
            for kind in ("window", "cli"):
                home = Path(tempfile.mkdtemp(prefix="kinetoscope-startup-"))
                try:
                    for state in ("cold", "warm"):
                        print(f"  run {run + 1}/{args.runs}: {name} {kind} {state} ...", flush=True)
                        marks = measure(kind, args.clip, args.model, home, checkout)
                        results.setdefault((kind, state), {}).setdefault(name, []).append(marks)
                finally:
                    shutil.rmtree(home, ignore_errors=True)
    print(f"\n{args.model} on the CPU, clip {Path(args.clip).name}; medians of {args.runs} fresh processes; "
          "times since the process started")
    for (kind, state), runs in results.items():
        what = "`kinetoscope gui CLIP` to the first view's top-5 on screen" if kind == "window" else \
            "`kinetoscope classify CLIP` to its top-5"
        table(f"{what}, {state} (empty cache)" if state == "cold" else f"{what}, {state}", runs)


if __name__ == "__main__":
    main()
