"""Benchmark: NPU session start, cold (compiling the HTP graph) against cached (compiled context).

Each start runs in a fresh process, as an app start would, with its own data folder holding the
compiled-context cache: a cold start discards the model's cache entry first (and so writes it
again), a cached start loads it. Cold and cached starts alternate so machine noise hits both alike;
medians are reported. On Linux x86-64 the NPU is Qualcomm's HTP simulator: compile and load times
are real work on this CPU, not Snapdragon figures.

    nice -n 10 .venv/bin/python bench/context_cache_bench.py [--reps 3] [MODEL ...]

MODEL is a bundle path or model id; by default the R(2+1)D-18-sized bundles from
bench/make_r2plus1d18.py and the bundled motion_demo (float and w8a8) when present.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"


def worker(model: str, mode: str) -> None:
    """One session start in this process; prints one JSON line."""
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.memory import peak_rss_mb
    from kinetoscope.engine.modelfiles.model_store import resolve_model
    from kinetoscope.engine.inference.session import ModelSession, forget_compiled_context

    spec, _, precision = model.partition("@")
    bundle = open_bundle(resolve_model(spec, precision or None))
    if mode == "cold":
        forget_compiled_context(bundle)
    session = ModelSession(bundle, "npu")
    print(json.dumps({"load_ms": session.load_ms, "kind": session.load_kind, "peak_rss_mb": peak_rss_mb(),
                      "label": session.report.label, "fallback": len(session.report.fallback_nodes),
                      "nodes": session.report.total_nodes, "precision": bundle.precision}))


def measure(model: str, mode: str, home: Path) -> dict:
    env = dict(os.environ, KINETOSCOPE_HOME=str(home))
    done = subprocess.run([sys.executable, __file__, "--worker", model, mode], env=env, capture_output=True,
                          text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{model} {mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def default_models() -> list[str]:
    models = [str(p) for p in sorted(OUT.glob("r2plus1d18-onnx-*")) if p.is_dir()]
    models += [f"motion_demo@{p}" for p in ("float", "w8a8")
               if (REPO / "app" / "kinetoscope" / "data" / "models" / f"motion_demo-onnx-{p}.zip").exists()]
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description="NPU start-up, cold vs cached compiled context")
    parser.add_argument("models", nargs="*", help="bundle paths or ids (id@precision)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    models = args.models or default_models()
    if not models:
        sys.exit("no models: run bench/make_r2plus1d18.py first")
    rows = []
    for model in models:
        with tempfile.TemporaryDirectory(prefix="kinetoscope-ctx-bench-") as home:
            cold, cached = [], []
            for rep in range(args.reps):
                c = measure(model, "cold", Path(home))
                w = measure(model, "cached", Path(home))
                if c["kind"] != "cold" or w["kind"] != "cached":
                    raise RuntimeError(f"{model}: expected cold then cached, got {c['kind']}, {w['kind']}")
                cold.append(c["load_ms"])
                cached.append(w["load_ms"])
                print(f"{model} rep {rep + 1}: cold {c['load_ms']:.0f} ms, cached {w['load_ms']:.0f} ms "
                      f"({c['label']}, {c['fallback']} of {c['nodes']} nodes on the CPU)", flush=True)
            entry = next((p for p in (Path(home) / "cache" / "qnn_context").iterdir() if not p.name.startswith(".")), None)
            size = sum(f.stat().st_size for f in entry.iterdir()) if entry else 0
        row = {"model": model, "precision": c["precision"], "cold_ms": statistics.median(cold),
               "cached_ms": statistics.median(cached), "cold_all": cold, "cached_all": cached,
               "cache_mb": size / 1e6}
        row["ratio"] = row["cached_ms"] / row["cold_ms"]
        rows.append(row)
    print("\nmodel                                    precision   cold ms   cached ms   cached/cold   cache MB")
    for r in rows:
        print(f"{Path(r['model']).name:<40} {r['precision']:<9} {r['cold_ms']:9.0f} {r['cached_ms']:11.0f} "
              f"{r['ratio'] * 100:12.1f} % {r['cache_mb']:10.1f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "context_cache_bench.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
