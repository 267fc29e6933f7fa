"""Benchmark: the library. (1) Indexing a folder against bare scans of the same files; (2) search
latency and database size on a synthetic 1,000-hour library.

(1) The indexer does what `kinetoscope scan` does per file (probe, scan) plus the library's own
work: walking the folder, hashing sampled blocks, reading each header, one transaction per file.
The baseline is the bare scan of every file with the same opened model, in the same kind of fresh
process; the model load is left out of both. The target: indexing within 1.05x of the bare scans
(the database must not be the bottleneck). The fast demo model is the hard case for that ratio;
`--model i3d_kinetics` shows the real one.

(2) The synthetic library is generated rows, not video: files of 2-20 minutes, windows of 1.28 s
(the Kinetics-400 model's 32 frames at 25 fps, back to back) with a top-5 each, and segments a few
windows long, labelled by a Zipf-like draw from the 400 Kinetics classes, so common actions have
tens of thousands of segments. Search latency is the median over repeated queries in one process.

    .venv/bin/python bench/library_bench.py [--runs 3] [--model motion_demo] [--hours 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
MEDIA = REPO.parent / "shared" / "media"
sys.path.insert(0, str(REPO / "tests"))


def make_folder(folder: Path) -> Path:
    """About four minutes of real video: the shared clips, and two compilations of them."""
    from library_clips import compilation

    clips = sorted(MEDIA.glob("*.mp4"))
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            shutil.copy2(clip, folder / clip.name)
        compilation(folder / "compilation_a.mp4", clips, width=340, height=256, times=2)
        compilation(folder / "compilation_b.mp4", clips[::-1], width=426, height=240, times=2)
        (folder / "done").touch()
    return folder


def worker(kind: str, folder: str, model: str) -> dict:
    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.inference.scan import SCAN_CPU
    from kinetoscope.engine.library.database import LibraryPaths, connect
    from kinetoscope.engine.library.folders import add_folder
    from kinetoscope.engine.library.indexer import Indexer
    from kinetoscope.engine.media.video import probe
    from kinetoscope.engine.media.video_files import videos_in

    classifier = VideoClassifier.open(model, "cpu", precision="float", cpu=SCAN_CPU)
    started = time.perf_counter()
    if kind == "scan":
        seconds = 0.0
        for clip in videos_in(Path(folder)):
            result = classifier.scan(clip, info=probe(clip))
            seconds += result.clip_duration_s
        return {"seconds": time.perf_counter() - started, "video_s": seconds}
    with tempfile.TemporaryDirectory() as home:
        paths = LibraryPaths(Path(home))
        db, _ = connect(paths)
        add_folder(db, paths, folder)
        db.close()
        started = time.perf_counter()
        report = Indexer(paths, classifier).run()
        return {"seconds": time.perf_counter() - started, "video_s": report.seconds_indexed,
                "files": report.indexed}


def measure(kind: str, folder: Path, model: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(folder), model], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the synthetic library ---------------------------------------------------------------------

WINDOW_S = 1.28


def build_synthetic(db_path: Path, hours: float, seed: int = 7) -> dict:
    """Write a library of `hours` of generated scans; the write figures."""
    from kinetoscope.engine.library.database import LibraryPaths, connect, transaction
    from kinetoscope.engine.library.store import ModelKey, model_row

    labels = tuple((REPO / "models" / "i3d_kinetics" / "kinetics400_labels.txt").read_text().split("\n"))
    labels = tuple(label.strip() for label in labels if label.strip())
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(labels) + 1) ** 0.8
    weights /= weights.sum()
    popularity = rng.permutation(len(labels))
    paths = LibraryPaths(db_path.parent)
    db, _ = connect(paths)
    started = time.perf_counter()
    with transaction(db):
        db.execute("INSERT INTO folders(path, added_at) VALUES (?, ?)", ("/videos", time.time()))
        model = model_row(db, ModelKey("i3d_kinetics", "float", "I3D (Kinetics-400)", labels))
    total_s = 0.0
    files = segments = 0
    header = np.array([(0, 5)], [("n", "<i4"), ("k", "<i4")])
    while total_s < hours * 3600:
        duration = float(rng.uniform(120, 1200))
        n = int(duration / WINDOW_S)
        times = np.stack([np.arange(n) * WINDOW_S, (np.arange(n) + 1) * WINDOW_S], 1).astype(np.float32)
        top = rng.integers(0, len(labels), (n, 5)).astype(np.int16)
        probs = np.sort(rng.dirichlet(np.ones(6), n)[:, :5], 1)[:, ::-1].astype(np.float16)
        header["n"] = n
        blob = header.tobytes() + times.tobytes() + top.tobytes() + probs.tobytes()
        rows = []
        w = 0
        while w < n:
            length = int(rng.geometric(1 / 6))
            if rng.random() < 0.8:
                label = labels[popularity[rng.choice(len(labels), p=weights)]]
                rows.append((label, float(rng.beta(4, 3) * 0.75 + 0.25), w * WINDOW_S, min(n, w + length) * WINDOW_S))
            w += length
        folder = f"/videos/{['training', 'family', 'lab', 'matches'][files % 4]}/{files // 500:03d}"
        mtime = int((1_600_000_000 + files * 3600) * 1e9)
        with transaction(db):
            fid = db.execute("INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, duration_s, seen_at) "
                             "VALUES (1, ?, ?, ?, ?, ?, ?)", (f"{folder}/clip_{files:06d}.mp4", int(duration * 1e6),
                                                               mtime, f"{files:032x}", duration, time.time())).lastrowid
            sid = db.execute("INSERT INTO scans(file_id, model, device, every_s, window_s, rule, recipe, "
                             "scanned_at, scan_ms) VALUES (?, ?, '{}', ?, ?, '{}', 'null', ?, 0)",
                             (fid, model, WINDOW_S, WINDOW_S, time.time())).lastrowid
            db.execute("INSERT INTO scan_windows(scan_id, windows) VALUES (?, ?)", (sid, blob))
            db.executemany("INSERT INTO segments(scan_id, label, prob, start_s, end_s) VALUES (?, ?, ?, ?, ?)",
                           [(sid, *r) for r in rows])
        files += 1
        segments += len(rows)
        total_s += duration
    write_s = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = db_path.stat().st_size
    return {"files": files, "hours": total_s / 3600, "segments": segments, "write_s": write_s, "bytes": size,
            "labels_by_rank": [labels[i] for i in popularity]}


def time_queries(db_path: Path, built: dict, repeats: int) -> list[tuple[str, float, int, int]]:
    from kinetoscope.engine.library.database import LibraryPaths, connect
    from kinetoscope.engine.library.search import SearchQuery, search

    common, middling, rare = built["labels_by_rank"][0], built["labels_by_rank"][40], built["labels_by_rank"][-1]
    queries = [
        (f"most common action ({common}), any confidence, top 500", SearchQuery(common)),
        (f"most common action, >= 0.8", SearchQuery(common, min_prob=0.8)),
        (f"40th action ({middling}), >= 0.5", SearchQuery(middling, min_prob=0.5)),
        (f"rarest action ({rare}), >= 0.5", SearchQuery(rare, min_prob=0.5)),
        ("most common, >= 0.5, >= 20 s long", SearchQuery(common, min_prob=0.5, min_length_s=20)),
        ("most common, >= 0.5, one folder", SearchQuery(common, min_prob=0.5, folder="/videos/lab")),
        ("most common, >= 0.5, one year", SearchQuery(common, min_prob=0.5, since=1_600_000_000,
                                                    until=1_631_536_000)),
        ("'playing' (part of 25 labels), >= 0.9", SearchQuery("playing", min_prob=0.9)),
    ]
    db, _ = connect(LibraryPaths(db_path.parent))
    rows = []
    for name, query in queries:
        search(db, query)   # warm the page cache, as a second search in the window would be
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            found = search(db, query)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append((name, statistics.median(times), len(found), sum(len(f.hits) for f in found)))
    cold = subprocess.run([sys.executable, "-c", _COLD, str(db_path), common], capture_output=True, text=True)
    rows.append((f"first search in a fresh process ({common}, >= 0.5)", float(cold.stdout.strip() or "nan"), -1, -1))
    db.close()
    return rows


_COLD = """
import sys, time
from pathlib import Path
from kinetoscope.engine.library.database import LibraryPaths, connect
from kinetoscope.engine.library.search import SearchQuery, search
db, _ = connect(LibraryPaths(Path(sys.argv[1]).parent))
t0 = time.perf_counter()
search(db, SearchQuery(sys.argv[2], min_prob=0.5))
print((time.perf_counter() - t0) * 1000)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians reported)")
    parser.add_argument("--model", default="motion_demo")
    parser.add_argument("--hours", type=float, default=1000.0, help="size of the synthetic library")
    parser.add_argument("--repeats", type=int, default=20, help="repeats of each query (median reported)")
    parser.add_argument("--skip-index", action="store_true", help="only the synthetic library")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "FOLDER", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return

    if not args.skip_index:
        folder = make_folder(OUT / "library_videos")
        runs: dict[str, list[dict]] = {"scan": [], "index": []}
        for run in range(args.runs):
            for kind in runs:
                print(f"  run {run + 1}/{args.runs}: {kind} ...", flush=True)
                runs[kind].append(measure(kind, folder, args.model))
        scan_s = statistics.median(r["seconds"] for r in runs["scan"])
        index_s = statistics.median(r["seconds"] for r in runs["index"])
        video_s = runs["scan"][0]["video_s"]
        print(f"\n(1) indexing vs bare scans: {runs['index'][0]['files']} files, {video_s / 60:.1f} min of video, "
              f"{args.model} (float, CPU); medians of {args.runs} fresh-process runs, interleaved, model load excluded\n")
        print("| what | time (s) | video seconds per second |")
        print("|---|---|---|")
        print(f"| bare scans (probe + scan each file) | {scan_s:.2f} | {video_s / scan_s:.1f} |")
        print(f"| library index (walk, hash, header, probe, scan, commit) | {index_s:.2f} | {video_s / index_s:.1f} |")
        print(f"\nindex / bare = {index_s / scan_s:.3f}x (target <= 1.05x)")

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "library.sqlite"
        print(f"\n(2) building a synthetic {args.hours:g}-hour library ...", flush=True)
        built = build_synthetic(db_path, args.hours)
        print(f"\n{built['files']} files, {built['hours']:.0f} h, {built['segments']} segments, "
              f"{int(built['hours'] * 3600 / WINDOW_S)} windows; written in {built['write_s']:.1f} s "
              f"(one transaction a file); database {built['bytes'] / 1e6:.0f} MB = "
              f"{built['bytes'] / 1e6 / built['hours']:.2f} MB per hour of video\n")
        print(f"| query | median (ms) | files | segments |")
        print("|---|---|---|---|")
        for name, ms, files, segs in time_queries(db_path, built, args.repeats):
            print(f"| {name} | {ms:.2f} | {files if files >= 0 else ''} | {segs if segs >= 0 else ''} |")


if __name__ == "__main__":
    main()
