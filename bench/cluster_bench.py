"""Benchmark: the library's indexing as a Ray Data job on a local Ray cluster, against the local
indexer, and the merge into SQLite at scale. Needs the `cluster` extra (Ray).

(1) The same folder (bench/out/library_videos, made by library_bench.py) indexed by the local
indexer in one process and by `index_on_ray` with N single-thread workers, each into a fresh
library; wall times include Ray's start-up and every worker's model load; per-worker throughput
is seconds of video per second inside the scans.

(2) The merge alone: PackedScans of generated 10-minute files (1.28 s windows, a top-5 each, a
segment every ~8 s) written into a fresh library one transaction a file, as the driver does.

    .venv/bin/python bench/cluster_bench.py [--workers 2] [--model motion_demo] [--merge-files 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def fresh_library(folder: Path | None):  # noqa: ANN201
    from kinetoscope.engine.library.database import LibraryPaths, connect
    from kinetoscope.engine.library.folders import add_folder

    paths = LibraryPaths(Path(tempfile.mkdtemp(prefix="kinetoscope-cluster-")))
    db, _ = connect(paths)
    if folder is not None:
        add_folder(db, paths, folder)
    return paths, db


def merge_figures(files: int, minutes: float = 10.0) -> dict:
    from kinetoscope.engine.library.store import ModelKey, PackedScan, write_scan

    labels = tuple(f"action {i}" for i in range(400))
    key = ModelKey("i3d_kinetics", "float", "I3D (Kinetics-400)", labels)
    rng = np.random.default_rng(3)
    n = int(minutes * 60 / 1.28)
    header = np.array([(n, 5)], [("n", "<i4"), ("k", "<i4")]).tobytes()
    times = np.stack([np.arange(n) * 1.28, (np.arange(n) + 1) * 1.28], 1).astype(np.float32).tobytes()
    packed = []
    for _ in range(files):
        blob = header + times + rng.integers(0, 400, (n, 5)).astype(np.int16).tobytes() + \
            rng.random((n, 5)).astype(np.float16).tobytes()
        starts = np.cumsum(rng.exponential(8.0, int(minutes * 60 / 8)))
        segments = tuple((labels[int(rng.integers(400))], float(rng.random()), float(s), float(s + 6)) for s in starts)
        packed.append(PackedScan(key, "{}", 1.28, 1.28, "{}", "null", blob, segments, minutes * 60, 0.0))
    paths, db = fresh_library(None)
    now = time.time()
    db.execute("INSERT INTO folders(path, added_at) VALUES ('/v', 0)")
    db.executemany("INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, seen_at) VALUES (1, ?, 0, 0, '', ?)",
                   [(f"/v/{i}.mp4", now) for i in range(files)])
    t0 = time.perf_counter()
    for i, p in enumerate(packed, 1):
        write_scan(db, i, p)
    seconds = time.perf_counter() - t0
    db.close()
    return {"files": files, "hours": files * minutes / 60, "seconds": seconds,
            "bytes": sum(len(p.windows) for p in packed) + sum(len(p.segments) * 40 for p in packed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default="motion_demo")
    parser.add_argument("--merge-files", type=int, default=2000)
    args = parser.parse_args()
    from library_bench import OUT, make_folder

    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.inference.scan import SCAN_CPU
    from kinetoscope.engine.library.cluster import index_on_ray
    from kinetoscope.engine.library.indexer import Indexer

    folder = make_folder(OUT / "library_videos")
    paths, db = fresh_library(folder)
    db.close()
    t0 = time.perf_counter()
    local = Indexer(paths, VideoClassifier.open(args.model, "cpu", cpu=SCAN_CPU)).run()
    local_s = time.perf_counter() - t0
    paths, db = fresh_library(folder)
    db.close()
    ray_report = index_on_ray(paths, args.model, workers=args.workers)
    print(f"\n(1) {local.indexed} files, {local.seconds_indexed / 60:.1f} min of video, {args.model} (float, CPU)\n")
    print("| how | wall (s) | merge into SQLite (ms) | video s per wall s |")
    print("|---|---|---|---|")
    print(f"| local indexer, one process | {local_s:.1f} | (inside) | {local.seconds_indexed / local_s:.1f} |")
    print(f"| Ray Data, {args.workers} actors x 1 thread (start-up and model loads included) | "
          f"{ray_report.wall_s:.1f} | {ray_report.merge_s * 1000:.1f} | {ray_report.video_s / ray_report.wall_s:.1f} |")
    for name, w in sorted(ray_report.workers.items()):
        print(f"|   worker {name}: {w.files} files | {w.busy_s:.1f} busy | | {w.throughput:.1f} |")
    m = merge_figures(args.merge_files)
    per_hour_ms = m["seconds"] / m["hours"] * 1000
    print(f"\n(2) merge: {m['files']} files ({m['hours']:.0f} h) written in {m['seconds']:.2f} s, "
          f"{m['seconds'] / m['files'] * 1000:.2f} ms a file, {per_hour_ms:.1f} ms per hour of video; "
          f"{m['bytes'] / m['files'] / 1024:.0f} KB sent back per file")
    print(f"    100,000 h at this rate: {per_hour_ms * 100_000 / 1000 / 60:.1f} min of merging on the driver")


if __name__ == "__main__":
    main()
