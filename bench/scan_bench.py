"""Benchmark: scanning a whole clip (`kinetoscope scan`) against a bare decode of the same file.

A scan decodes the clip once, front to back, and runs the model on a window every `--every`
seconds. Its floor is the decoder itself, so the baseline is a bare threaded PyAV decode of the
same file (every frame decoded, nothing converted or kept), measured in the same run. The naive
way to scan — decode every frame, keep them all, then slide the window over them — runs on the
1-minute clip only, for scale: its memory grows with the clip.

Every measurement runs in a fresh process (peak RSS is a per-process figure); the kinds are
interleaved so machine noise hits all of them alike; medians are reported.

    .venv/bin/python bench/scan_bench.py [--runs 3] [--every 1.0] [--model motion_demo] [--real-model i3d_kinetics]

`--real-model ''` skips the scan with the real Kinetics-400 model (1-minute clip, one run: about
a second of inference per window on two cores). Generated clips are cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_bench import OUT, make_clip  # noqa: E402  (a sibling script, not a package)


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
               "naive": lambda: naive(clip, model, every)}[kind]()
    figures.update(seconds=time.perf_counter() - started, peak_rss_mb=peak_rss_mb())
    print(json.dumps(figures))


def measure(kind: str, clip: Path, model: str, every: float) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(clip), model, str(every)],
                          capture_output=True, text=True)
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
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "CLIP", "MODEL", "EVERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, clip, model, every = args.worker
        worker(kind, clip, model, float(every))
        return

    print("generating clips (cached in bench/out/) ...", flush=True)
    one = make_clip(OUT / "scan_1080p30_60s.mp4", 1920, 1080, 30, 60)
    ten = make_clip(OUT / "scan_1080p30_600s.mp4", 1920, 1080, 30, 600)
    rows: dict[str, list[dict]] = {"decode 10 min": [], "scan 10 min": [], "decode 1 min": [], "scan 1 min": [],
                                   "naive 1 min": []}
    plan = {"decode 10 min": ("decode", ten), "scan 10 min": ("scan", ten), "decode 1 min": ("decode", one),
            "scan 1 min": ("scan", one), "naive 1 min": ("naive", one)}
    for run in range(args.runs):
        for name, (kind, clip) in plan.items():
            print(f"  run {run + 1}/{args.runs}: {name} ...", flush=True)
            rows[name].append(measure(kind, clip, args.model, args.every))
    real = measure("scan", one, args.real_model, args.every) if args.real_model else None

    print(f"\nscan with {args.model} (float, CPU), a window every {args.every:g} s; 1920x1080 30 fps H.264; "
          f"medians of {args.runs} fresh-process runs, interleaved\n")
    print("| clip | what | time (s) | peak RSS (MB) | windows |")
    print("|---|---|---|---|---|")
    for name, runs in rows.items():
        clip, what = ("10 min" if "10 min" in name else "1 min"), name.split()[0]
        windows = runs[0].get("windows", "")
        extra = f" (held {runs[0]['held_mb']:.0f} MB of frames)" if "held_mb" in runs[0] else ""
        print(f"| {clip} | {what}{extra} | {med(runs, 'seconds'):.1f} | {med(runs, 'peak_rss_mb'):.0f} | {windows} |")
    if real is not None:
        per_window = real["inference_ms"] / max(1, real["windows"])
        print(f"| 1 min | scan with {args.real_model} | {real['seconds']:.1f} | {real['peak_rss_mb']:.0f} | "
              f"{real['windows']} ({per_window:.0f} ms inference each) |")
    ratio = med(rows["scan 10 min"], "seconds") / med(rows["decode 10 min"], "seconds")
    print(f"\nscan / bare decode time, 10 min: {ratio:.2f}x (target <= 1.3x); 1 min: "
          f"{med(rows['scan 1 min'], 'seconds') / med(rows['decode 1 min'], 'seconds'):.2f}x")
    print(f"scan peak RSS, 1 min -> 10 min: {med(rows['scan 1 min'], 'peak_rss_mb'):.0f} MB -> "
          f"{med(rows['scan 10 min'], 'peak_rss_mb'):.0f} MB (target < 300 MB and flat)")
    print(f"naive / scan on the 1-minute clip: time {med(rows['naive 1 min'], 'seconds') / med(rows['scan 1 min'], 'seconds'):.2f}x, "
          f"peak RSS {med(rows['naive 1 min'], 'peak_rss_mb'):.0f} MB vs {med(rows['scan 1 min'], 'peak_rss_mb'):.0f} MB")
    if real is not None:
        print(f"{args.real_model} on the CPU: {real['seconds'] / 60:.1f} s of scanning per second of video "
              f"at one window per {args.every:g} s")


if __name__ == "__main__":
    main()
