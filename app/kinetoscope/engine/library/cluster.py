"""The library's indexing as a Ray Data job: files as the dataset, one actor per worker holding a
`VideoClassifier`, each file's scan merged into the SQLite index by the process that owns it.

Optional (`pip install "kinetoscope[cluster]"`, never in the installer): `ray` is imported only here,
when a job runs. The driver syncs the folders and lists the files the model has not scanned, as
`library index` does; Ray schedules the files over an actor pool (local here, or a cluster with
`address`); each actor scans a file with the same engine (`VideoClassifier.scan`) and returns its
scan as plain values (`PackedScan`); the driver writes each into the database as it streams back,
one transaction a file, so a failed job keeps every file already merged. The merge is timed apart
from the scanning.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinetoscope.engine.errors import BadInput, Busy, KinetoscopeError
from kinetoscope.engine.library.database import LibraryPaths, connect, transaction
from kinetoscope.engine.library.folders import SyncReport, sync
from kinetoscope.engine.library.indexer import unscanned
from kinetoscope.engine.library.store import ModelKey, PackedScan, model_row, write_scan
from kinetoscope.engine.modelfiles.file_lock import FileLock


class RayMissing(KinetoscopeError):
    """Ray is not installed: the cluster indexer is an optional extra."""


@dataclass(frozen=True)
class WorkerFigures:
    files: int = 0
    video_s: float = 0.0
    busy_s: float = 0.0       # inside scan calls, model load left out

    @property
    def throughput(self) -> float:
        """Seconds of video scanned per second of scanning."""
        return self.video_s / self.busy_s if self.busy_s else 0.0


@dataclass(frozen=True)
class ClusterReport:
    sync: SyncReport
    model: str
    indexed: int
    failed: int
    video_s: float
    wall_s: float             # the whole job, Ray start-up and model loads included
    merge_s: float            # writing the scans into SQLite, on the driver
    merge_bytes: int          # what the workers sent back
    workers: dict[str, WorkerFigures] = field(default_factory=dict)


class _ScanActor:
    """One per worker: opens the model once, then scans the files it is given."""

    def __init__(self, model: str, precision: str | None, every_s: float | None, threads: int) -> None:
        from kinetoscope.engine.inference.classify import VideoClassifier
        from kinetoscope.engine.inference.session import CpuConfig

        self.classifier = VideoClassifier.open(model, "cpu", precision=precision,
                                               cpu=CpuConfig(threads=threads, spinning=False))
        self.every_s = every_s
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from kinetoscope.engine.media.video import probe

        out: dict[str, list] = {"file_id": [], "error": [], "packed": [], "video_s": [], "busy_s": [], "worker": []}
        for file_id, path in zip(batch["file_id"], batch["path"]):
            started = time.perf_counter()
            packed, error, seconds = b"", "", 0.0
            try:
                result = self.classifier.scan(Path(path), every_s=self.every_s, info=probe(Path(path)))
                packed = pickle.dumps(PackedScan.of(result), protocol=pickle.HIGHEST_PROTOCOL)
                seconds = result.clip_duration_s
            except BadInput as exc:
                error = exc.message
            out["file_id"].append(int(file_id))
            out["error"].append(error)
            out["packed"].append(packed)
            out["video_s"].append(seconds)
            out["busy_s"].append(time.perf_counter() - started)
            out["worker"].append(self.name)
        return out


def index_on_ray(paths: LibraryPaths, model: str, *, precision: str | None = None, workers: int = 2,
                 threads_per_worker: int = 1, every_s: float | None = None, address: str | None = None) -> ClusterReport:
    """Index the library's unscanned files with `model` on Ray: a local cluster of `workers` CPUs,
    or the running cluster at `address`. Raises RayMissing without Ray, Busy while another indexer runs."""
    try:
        import ray
    except ImportError as exc:
        raise RayMissing('Indexing on a cluster needs Ray: pip install "kinetoscope[cluster]".') from exc
    from kinetoscope.engine.inference.results import ModelRef
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.modelfiles.model_store import resolve_model

    started = time.perf_counter()
    bundle = open_bundle(resolve_model(model, precision))
    key = ModelKey.of(ModelRef.of(bundle, bundle.recipe), tuple(bundle.labels))
    lock = FileLock(paths.index_lock)
    paths.folder.mkdir(parents=True, exist_ok=True)
    if not lock.try_acquire(wait_s=0.5):
        raise Busy("Another Kinetoscope window or command is indexing this library now.")
    db, _ = connect(paths)
    try:
        report = sync(db)
        with transaction(db):
            model_id = model_row(db, key)
        todo = unscanned(db, model_id)
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                     log_to_driver=False, logging_level=logging.WARNING)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        figures: dict[str, WorkerFigures] = {}
        indexed = failed = merge_bytes = 0
        merge_s = video_s = 0.0
        if todo:
            items = [{"file_id": fid, "path": path} for fid, path, _ in todo]
            # One file a block and a batch: files differ in length by hours, so they are handed out
            # one at a time to whichever actor is free.
            ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
                _ScanActor, fn_constructor_kwargs={"model": str(bundle.source), "precision": None,
                                                   "every_s": every_s, "threads": threads_per_worker},
                batch_size=1, num_cpus=threads_per_worker, compute=ray.data.ActorPoolStrategy(size=workers))
            for row in ds.iter_rows():
                t0 = time.perf_counter()
                if row["error"]:
                    with transaction(db):
                        db.execute("UPDATE files SET error = ? WHERE id = ?", (row["error"], int(row["file_id"])))
                    failed += 1
                else:
                    packed = pickle.loads(row["packed"])
                    write_scan(db, int(row["file_id"]), packed)
                    merge_bytes += len(row["packed"])
                    indexed += 1
                merge_s += time.perf_counter() - t0
                video_s += row["video_s"]
                w = figures.get(row["worker"], WorkerFigures())
                figures[row["worker"]] = WorkerFigures(w.files + 1, w.video_s + row["video_s"], w.busy_s + row["busy_s"])
        return ClusterReport(report, bundle.name, indexed, failed, video_s, time.perf_counter() - started, merge_s,
                             merge_bytes, figures)
    finally:
        db.close()
        lock.release()
