"""Writing a file's scan into the library, and reading it back.

A scan is written in one transaction: its row (model, device, spacing, rule), its windows' top-k
packed into one blob, and its segments (one row each, which the search index covers). The
windows' full probabilities are not kept (400 floats a window would make the database ten times
larger); `stored_scan` rebuilds a `ScanResult` whose windows hold their top-k and zeros elsewhere,
enough to draw the scan's timeline and re-draw segments.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine.inference.results import DeviceReport, ModelRef, Prediction, Timings
from kinetoscope.engine.inference.scan import ScanResult, ScanWindow, Segment, SegmentRule
from kinetoscope.engine.library.database import transaction

TOP_K = 5
_HEADER = np.dtype([("n", "<i4"), ("k", "<i4")])


@dataclass(frozen=True)
class ModelKey:
    """A model as the library names it: its id and precision (its labels come with it)."""

    model_id: str
    precision: str
    name: str
    labels: tuple[str, ...]

    @classmethod
    def of(cls, ref: ModelRef, labels: tuple[str, ...]) -> ModelKey:
        return cls(ref.id, ref.precision, ref.name, labels)


def model_row(db: sqlite3.Connection, model: ModelKey) -> int:
    """The models table's id for `model`, added (or its labels refreshed) as needed. Call inside a transaction."""
    labels = json.dumps(list(model.labels), ensure_ascii=False)
    db.execute("INSERT INTO models(model_id, precision, name, labels) VALUES (?, ?, ?, ?) "
               "ON CONFLICT(model_id, precision) DO UPDATE SET name = excluded.name, labels = excluded.labels",
               (model.model_id, model.precision, model.name, labels))
    return db.execute("SELECT id FROM models WHERE model_id = ? AND precision = ?",
                      (model.model_id, model.precision)).fetchone()[0]


def pack_windows(windows: tuple[ScanWindow, ...], k: int = TOP_K) -> bytes:
    """Start, end (float32 seconds) and the top-k class indices (int16) and probabilities (float16)."""
    n = len(windows)
    header = np.array([(n, k)], _HEADER)
    times = np.array([(w.start_s, w.end_s) for w in windows], np.float32).reshape(n, 2)
    idx = np.zeros((n, k), np.int16)
    probs = np.zeros((n, k), np.float16)
    for row, w in enumerate(windows):
        order = np.argsort(-w.probs, kind="stable")[:k]
        idx[row, :len(order)] = order
        probs[row, :len(order)] = w.probs[order]
    return header.tobytes() + times.tobytes() + idx.tobytes() + probs.tobytes()


def unpack_windows(blob: bytes, labels: tuple[str, ...]) -> tuple[ScanWindow, ...]:
    """The windows `pack_windows` stored, each with its top-k probabilities and zeros elsewhere."""
    n, k = (int(v) for v in np.frombuffer(blob, _HEADER, 1)[0])
    at = _HEADER.itemsize
    times = np.frombuffer(blob, np.float32, n * 2, at).reshape(n, 2)
    at += times.nbytes
    idx = np.frombuffer(blob, np.int16, n * k, at).reshape(n, k)
    at += idx.nbytes
    probs = np.frombuffer(blob, np.float16, n * k, at).reshape(n, k).astype(np.float32)
    windows = []
    for i in range(n):
        full = np.zeros(len(labels), np.float32)
        full[idx[i]] = probs[i]
        top = tuple(Prediction(labels[c], int(c), float(p)) for c, p in zip(idx[i].tolist(), probs[i].tolist()))
        windows.append(ScanWindow(i, float(times[i, 0]), float(times[i, 1]), full, top, 0.0))
    return tuple(windows)


@dataclass(frozen=True)
class PackedScan:
    """A file's scan as the library stores it: plain values only, so it crosses processes (a Ray
    worker hands it to the process that owns the database) as cheaply as it is written."""

    model: ModelKey
    device: str          # JSON DeviceReport
    every_s: float
    window_s: float
    rule: str            # JSON SegmentRule
    recipe: str          # JSON input recipe, or "null"
    windows: bytes       # pack_windows
    segments: tuple[tuple[str, float, float, float], ...]   # (label, prob, start_s, end_s)
    duration_s: float
    scan_ms: float

    @classmethod
    def of(cls, result: ScanResult) -> PackedScan:
        windows = result.windows
        return cls(
            model=ModelKey.of(result.model, result.labels), device=json.dumps(result.device.to_json()),
            every_s=result.every_s, window_s=windows[0].end_s - windows[0].start_s if windows else 0.0,
            rule=json.dumps(result.rule.to_json()),
            recipe=json.dumps(result.model.recipe.to_json() if result.model.recipe else None),
            windows=pack_windows(windows),
            segments=tuple((s.label, s.prob, s.start_s, s.end_s) for s in result.segments),
            duration_s=result.clip_duration_s, scan_ms=result.timings.total_ms)


def write_scan(db: sqlite3.Connection, file_id: int, result: ScanResult | PackedScan) -> int:
    """Replace `file_id`'s scan by this model with `result`, in one transaction; the scan's row id."""
    packed = result if isinstance(result, PackedScan) else PackedScan.of(result)
    with transaction(db):
        model = model_row(db, packed.model)
        db.execute("DELETE FROM scans WHERE file_id = ? AND model = ?", (file_id, model))
        cur = db.execute(
            "INSERT INTO scans(file_id, model, device, every_s, window_s, rule, recipe, scanned_at, scan_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (file_id, model, packed.device, packed.every_s, packed.window_s, packed.rule, packed.recipe,
             time.time(), packed.scan_ms))
        scan_id = int(cur.lastrowid)
        db.execute("INSERT INTO scan_windows(scan_id, windows) VALUES (?, ?)", (scan_id, packed.windows))
        db.executemany("INSERT INTO segments(scan_id, label, prob, start_s, end_s) VALUES (?, ?, ?, ?, ?)",
                       [(scan_id, *segment) for segment in packed.segments])
        db.execute("UPDATE files SET duration_s = ?, error = NULL WHERE id = ?", (packed.duration_s, file_id))
    return scan_id


def stored_scan(db: sqlite3.Connection, path: Path, model_id: str | None = None) -> ScanResult | None:
    """The library's scan of `path` (by `model_id`, else the newest), as a ScanResult; None if not indexed."""
    sql = ("SELECT s.id, s.device, s.every_s, s.rule, w.windows, s.scan_ms, f.duration_s, m.model_id, m.precision, "
           "m.name, m.labels FROM scans s JOIN scan_windows w ON w.scan_id = s.id JOIN files f ON f.id = s.file_id "
           "JOIN models m ON m.id = s.model "
           "WHERE f.path = ?" + (" AND m.model_id = ?" if model_id else "") + " ORDER BY s.scanned_at DESC LIMIT 1")
    row = db.execute(sql, (str(path), model_id) if model_id else (str(path),)).fetchone()
    if row is None:
        return None
    scan_id, device, every_s, rule, blob, scan_ms, duration, mid, precision, name, labels = row
    labels = tuple(json.loads(labels))
    segments = tuple(Segment(s, e, label, p) for label, p, s, e in db.execute(
        "SELECT label, prob, start_s, end_s FROM segments WHERE scan_id = ? ORDER BY start_s", (scan_id,)))
    return ScanResult(
        clip=path, model=ModelRef(mid, name, precision, Path(mid)), device=DeviceReport(**_device(device)),
        every_s=every_s, windows=unpack_windows(blob, labels), segments=segments,
        rule=SegmentRule(**json.loads(rule)), timings=Timings(total_ms=scan_ms), clip_duration_s=duration or 0.0,
        peak_rss_mb=0.0, labels=labels)


def _device(text: str) -> dict:
    data = json.loads(text)
    data["fallback_nodes"] = tuple(data.get("fallback_nodes", ()))
    return data
