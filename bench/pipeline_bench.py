"""Benchmark: Kinetoscope's streaming pipeline against the naive reference pipeline.

The naive pipeline is what the reference app does: decode every frame of the clip at full size,
keep them all, resample, then resize each view's frames in numpy (tests/reference_preprocessing.py).
Both run the same model on the CPU, so the difference is decoding and preprocessing.

Each measurement runs in a fresh process, because peak RSS is a per-process figure; runs of the
two pipelines are interleaved so machine noise hits both alike; medians are reported.

    .venv/bin/python bench/pipeline_bench.py [--runs 5] [--long-runs 3] [--model ID] [--baseline DIR]

`--model` takes an installed or bundled model id (default: the demo model). `--baseline DIR` also
runs the engine of another checkout (e.g. a `git worktree` of an earlier commit), interleaved with
this one, so a change's cost is measured against its baseline in the same run of the machine.
Generated clips are cached in bench/out/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
DEFAULT_MODEL = "motion_demo"


def make_clip(path: Path, width: int, height: int, fps: int, seconds: float) -> Path:
    """An H.264 clip with real texture and motion, cheap to generate even at 10 minutes."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    base = np.repeat(np.repeat(base, 8, axis=0), 8, axis=1)[:height, :width]
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "26"}
        for i in range(int(seconds * fps)):
            shifted = np.roll(base, (i * 3) % width, axis=1)
            frame = av.VideoFrame.from_ndarray(shifted, format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    tmp.rename(path)
    return path


def make_testsrc_clip(path: Path, width: int, height: int, fps: int, seconds: float) -> Path:
    """FFmpeg's `testsrc2` pattern (moving, colourful, cheap to decode), x264 ultrafast: the issue's
    synthetic clip, made with PyAV's own FFmpeg (no ffmpeg command needed)."""
    if path.exists():
        return path
    import av.filter

    path.parent.mkdir(parents=True, exist_ok=True)
    graph = av.filter.Graph()
    source = graph.add("testsrc2", f"size={width}x{height}:rate={fps}:duration={seconds}")
    sink = graph.add("buffersink")
    source.link_to(sink)
    graph.configure()
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        while True:
            try:
                frame = sink.pull()
            except (av.error.EOFError, av.error.BlockingIOError):
                break
            frame.pts = None
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    tmp.rename(path)
    return path


def _engine_api():
    """open_bundle, resolve_model, ModelSession, classify_clip, peak_rss_mb of whichever checkout is
    on the path: this one's layout, or the flat engine of commits before the engine's subpackages."""
    try:
        from kinetoscope.engine.inference.classify import classify_clip
        from kinetoscope.engine.inference.session import ModelSession
        from kinetoscope.engine.memory import peak_rss_mb
        from kinetoscope.engine.modelfiles.bundle import open_bundle
        from kinetoscope.engine.modelfiles.model_store import resolve_model
    except ImportError:
        from kinetoscope.engine.bundle import open_bundle  # type: ignore[no-redef]
        from kinetoscope.engine.classify import classify_clip  # type: ignore[no-redef]
        from kinetoscope.engine.memory import peak_rss_mb  # type: ignore[no-redef]
        from kinetoscope.engine.model_store import resolve_model  # type: ignore[no-redef]
        from kinetoscope.engine.session import ModelSession  # type: ignore[no-redef]
    return open_bundle, resolve_model, ModelSession, classify_clip, peak_rss_mb


def worker(kind: str, clip: str, model: str) -> None:
    """One measurement in this fresh process; prints a JSON line."""
    sys.path.insert(0, str(REPO / "tests"))
    open_bundle, resolve_model, ModelSession, classify_clip, peak_rss_mb = _engine_api()

    session = ModelSession(open_bundle(resolve_model(model, "float")), "cpu")
    started = time.perf_counter()
    if kind in ("engine", "baseline"):
        result = classify_clip(clip, session, views=5)
        top1 = result.top5[0].label
    else:
        from reference_preprocessing import reference_views

        probs = sum(session.run(view) for view in reference_views(clip, 5))
        top1 = session.bundle.labels[int(np.argmax(probs))]
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "top1": top1}))


def measure(kind: str, clip: Path, model: str, baseline: Path | None = None) -> dict:
    env = dict(os.environ)
    if kind == "baseline" and baseline is not None:
        env["PYTHONPATH"] = str(baseline / "app")
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(clip), model], capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def decoded_bytes(clip: Path) -> int:
    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        return int(s.frames or float(s.duration * s.time_base) * float(s.average_rate)) * s.width * s.height * 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per pipeline on the 10 s clip")
    parser.add_argument("--long-runs", type=int, default=3, help="runs of the engine on the 10-minute clip")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model id (default: the demo model)")
    parser.add_argument("--baseline", type=Path, help="another checkout whose engine runs interleaved with this one")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "CLIP", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return

    print("generating clips (cached in bench/out/) ...", flush=True)
    short = make_clip(OUT / "bench_1080p_10s.mp4", 1920, 1080, 30, 10)
    long = make_clip(OUT / "bench_720p_10min.mp4", 1280, 720, 30, 600) if args.long_runs else None

    # The naive reference pipeline implements AI Hub's 112x112 ResNet protocol only.
    naive = args.model == DEFAULT_MODEL
    rows: dict[str, list[dict]] = {"engine": [], "naive": []} if naive else {"engine": []}
    if args.baseline:
        rows["baseline"] = []
    for _ in range(args.runs):
        for kind in rows:
            rows[kind].append(measure(kind, short, args.model, args.baseline))
    long_rows: list[dict] = []
    long_base: list[dict] = []
    for _ in range(args.long_runs):
        long_rows.append(measure("engine", long, args.model))
        if args.baseline:
            long_base.append(measure("baseline", long, args.model, args.baseline))

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"\nmodel {args.model} (float) on the CPU, 5 views; medians of {args.runs} fresh-process runs, interleaved"
          + (f"; baseline: {args.baseline}" if args.baseline else "") + "\n")
    print("| clip | pipeline | time (s) | peak RSS (MB) | top-1 |")
    print("|---|---|---|---|---|")
    for kind, runs in rows.items():
        print(f"| 10 s 1080p30 | {kind} | {med(runs, 'seconds'):.2f} | {med(runs, 'peak_rss_mb'):.0f} | {runs[0]['top1']} |")
    if long_rows:
        print(f"| 10 min 720p30 | engine | {med(long_rows, 'seconds'):.2f} | {med(long_rows, 'peak_rss_mb'):.0f} | "
              f"{long_rows[0]['top1']} |")
    if long_base:
        print(f"| 10 min 720p30 | baseline | {med(long_base, 'seconds'):.2f} | {med(long_base, 'peak_rss_mb'):.0f} | "
              f"{long_base[0]['top1']} |")
    if long is not None:
        need = decoded_bytes(long) / 1e9
        print(f"| 10 min 720p30 | naive | not run: would hold {need:.0f} GB of decoded frames | | |")
    if naive:
        ratio = med(rows["engine"], "seconds") / med(rows["naive"], "seconds")
        print(f"\nengine / naive time on the 10 s clip: {ratio:.2f}")
    if args.baseline:
        print(f"engine / baseline time on the 10 s clip: {med(rows['engine'], 'seconds') / med(rows['baseline'], 'seconds'):.2f}"
              + (f"; 10 min: {med(long_rows, 'seconds') / med(long_base, 'seconds'):.2f}" if long_base else ""))
    if long_rows:
        print(f"engine peak RSS, 10 min 720p vs 10 s 1080p: {med(long_rows, 'peak_rss_mb'):.0f} MB vs "
              f"{med(rows['engine'], 'peak_rss_mb'):.0f} MB")


if __name__ == "__main__":
    main()
