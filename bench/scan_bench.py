"""Benchmark: scanning a whole clip (`kinetoscope scan`) against a bare decode of the same file.

A scan decodes the clip once, front to back, and runs the model on a window every `--every`
seconds. Its floor is the decoder itself, so the baseline is a bare threaded PyAV decode of the
same file (every frame decoded, nothing converted or kept), measured in the same run. The naive
way to scan — decode every frame, keep them all, then slide the window over them — runs on the
1-minute clip only, for scale: its memory grows with the clip.

Every measurement runs in a fresh process (peak RSS is a per-process figure); the kinds are
interleaved so machine noise hits all of them alike; medians are reported.

    .venv/bin/python bench/scan_bench.py [--runs 3] [--every 1.0] [--model motion_demo] [--real-model i3d_kinetics]
                                         [--baseline DIR]

Two kinds of 10-minute 1080p clip: the benchmark's own (a shifting noise texture, slow to decode)
and FFmpeg's `testsrc2` pattern encoded with x264 ultrafast (fast to decode, so a scan's own work
per window shows more). `--baseline DIR` also scans each with another checkout's engine (e.g. a
`git worktree` of an earlier commit), interleaved. `--real-model ''` skips the scan with the real
Kinetics-400 model (1-minute clip, one run: about a second of inference per window on two cores).
Generated clips are cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import OUT, make_clip, make_testsrc_clip  # noqa: E402  (a sibling script, not a package)


def bare_decode(clip: str) -> dict:
    """Every frame decoded with FFmpeg's own threads, nothing converted: the floor for any scan."""
    frames = 0
    with av.open(clip) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return {"frames": frames}


def scan(clip: str, model: str, every: float) -> dict:
    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.inference.scan import SCAN_CPU

    classifier = VideoClassifier.open(model, "cpu", precision="float", cpu=SCAN_CPU)  # as `kinetoscope scan`
    result = classifier.scan(clip, every_s=every)
    return {"windows": len(result.windows), "segments": len(result.segments),
            "top1": result.segments[0].label if result.segments else "",
            "inference_ms": result.timings.inference_ms, "load_ms": result.timings.load_ms}


def naive(clip: str, model: str, every: float) -> dict:
    """Decode every frame (scaled by FFmpeg to the model's size, the kindest form of it), keep
    them all, then slide the model's window over the list."""
    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.media.preprocess import center_crop, to_model_input

    classifier = VideoClassifier.open(model, "cpu", precision="float")
    recipe = classifier.recipe
    frames: list[np.ndarray] = []
    with av.open(clip) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate)
        height, width = recipe.resize.output_size(stream.codec_context.width, stream.codec_context.height)
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24", width=width, height=height))
    held_mb = sum(f.nbytes for f in frames) / 1e6
    rate = float(recipe.sampling.fps or fps / (recipe.sampling.every or 1))
    step = fps / rate
    span = recipe.frames * step
    windows = 0
    start = 0.0
    while start + span <= len(frames) or windows == 0:
        idx = [min(int(round(start + k * step)), len(frames) - 1) for k in range(recipe.frames)]
        crops = center_crop(np.stack([frames[i] for i in idx]), recipe.crop)
        classifier.run(to_model_input(crops, recipe))
        windows += 1
        start += every * fps
    return {"windows": windows, "held_mb": held_mb}


def worker(kind: str, clip: str, model: str, every: float) -> None:
    from kinetoscope.engine.memory import peak_rss_mb

    started = time.perf_counter()
    figures = {"decode": lambda: bare_decode(clip), "scan": lambda: scan(clip, model, every),
               "baseline": lambda: scan(clip, model, every), "naive": lambda: naive(clip, model, every)}[kind]()
    figures.update(seconds=time.perf_counter() - started, peak_rss_mb=peak_rss_mb())
    print(json.dumps(figures))


def measure(kind: str, clip: Path, model: str, every: float, baseline: Path | None = None) -> dict:
    env = dict(os.environ)
    if kind == "baseline" and baseline is not None:
        env["PYTHONPATH"] = str(baseline / "app")
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(clip), model, str(every)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run on {clip.name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians reported)")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between window starts")
    parser.add_argument("--model", default="motion_demo", help="the model the speed target is set for")
    parser.add_argument("--real-model", default="i3d_kinetics", help="also scan the 1-minute clip with it ('' skips)")
    parser.add_argument("--baseline", type=Path, help="another checkout whose scan runs interleaved with this one")
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "CLIP", "MODEL", "EVERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, clip, model, every = args.worker
        worker(kind, clip, model, float(every))
        return

    print("generating clips (cached in bench/out/) ...", flush=True)
    one = make_clip(OUT / "scan_1080p30_60s.mp4", 1920, 1080, 30, 60)
    ten = make_clip(OUT / "scan_1080p30_600s.mp4", 1920, 1080, 30, 600)
    testsrc = make_testsrc_clip(OUT / "testsrc2_1080p30_600s.mp4", 1920, 1080, 30, 600)
    plan: dict[str, tuple[str, Path]] = {}
    for clip_name, clip in (("10 min", ten), ("10 min testsrc2", testsrc), ("1 min", one)):
        kinds = ["decode", "scan"] + (["baseline"] if args.baseline and clip is not one else [])
        plan.update({f"{kind} {clip_name}": (kind, clip) for kind in kinds})
    plan["naive 1 min"] = ("naive", one)
    rows: dict[str, list[dict]] = {name: [] for name in plan}
    for run in range(args.runs):
        for name, (kind, clip) in plan.items():
            print(f"  run {run + 1}/{args.runs}: {name} ...", flush=True)
            rows[name].append(measure(kind, clip, args.model, args.every, args.baseline))
    real = measure("scan", one, args.real_model, args.every) if args.real_model else None

    print(f"\nscan with {args.model} (float, CPU), a window every {args.every:g} s; 1920x1080 30 fps H.264; "
          f"medians of {args.runs} fresh-process runs, interleaved\n")
    print("| clip | what | time (s) | peak RSS (MB) | windows |")
    print("|---|---|---|---|---|")
    for name, runs in rows.items():
        what, _, clip = name.partition(" ")
        windows = runs[0].get("windows", "")
        extra = f" (held {runs[0]['held_mb']:.0f} MB of frames)" if "held_mb" in runs[0] else ""
        print(f"| {clip} | {what}{extra} | {med(runs, 'seconds'):.1f} | {med(runs, 'peak_rss_mb'):.0f} | {windows} |")
    if real is not None:
        per_window = real["inference_ms"] / max(1, real["windows"])
        print(f"| 1 min | scan with {args.real_model} | {real['seconds']:.1f} | {real['peak_rss_mb']:.0f} | "
              f"{real['windows']} ({per_window:.0f} ms inference each) |")

    def ratio(a: str, b: str) -> str:
        return f"{med(rows[a], 'seconds') / med(rows[b], 'seconds'):.2f}x"

    print(f"\nscan / bare decode time, 10 min: {ratio('scan 10 min', 'decode 10 min')}; 10 min testsrc2: "
          f"{ratio('scan 10 min testsrc2', 'decode 10 min testsrc2')} (target <= 1.3x on both); "
          f"1 min: {ratio('scan 1 min', 'decode 1 min')}")
    if args.baseline:
        print(f"baseline scan / bare decode, 10 min: {ratio('baseline 10 min', 'decode 10 min')}; 10 min testsrc2: "
              f"{ratio('baseline 10 min testsrc2', 'decode 10 min testsrc2')}; this scan / the baseline's: "
              f"{ratio('scan 10 min', 'baseline 10 min')}, testsrc2 {ratio('scan 10 min testsrc2', 'baseline 10 min testsrc2')}")
    print(f"scan peak RSS, 1 min -> 10 min: {med(rows['scan 1 min'], 'peak_rss_mb'):.0f} MB -> "
          f"{med(rows['scan 10 min'], 'peak_rss_mb'):.0f} MB (target < 300 MB and flat)")
    print(f"naive / scan on the 1-minute clip: time {med(rows['naive 1 min'], 'seconds') / med(rows['scan 1 min'], 'seconds'):.2f}x, "
          f"peak RSS {med(rows['naive 1 min'], 'peak_rss_mb'):.0f} MB vs {med(rows['scan 1 min'], 'peak_rss_mb'):.0f} MB")
    if real is not None:
        print(f"{args.real_model} on the CPU: {real['seconds'] / 60:.1f} s of scanning per second of video "
              f"at one window per {args.every:g} s")


if __name__ == "__main__":
    main()
