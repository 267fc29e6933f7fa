"""Searching the library: where does an action happen, ranked, grouped by file.

The action is matched against the labels of the models the library was indexed with (Kinetics-400
classes, taught actions — a taught model is a model with its own labels): a label equal to it
ignoring case, else every label containing it. The query reads the (label, prob) index for those
labels above the minimum confidence, joins the few rows it finds to their files, and filters by
length, folder and date there. Files are ranked by their best segment; a file's segments are in
time order.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinetoscope.engine.errors import BadInput


@dataclass(frozen=True)
class SearchQuery:
    action: str
    min_prob: float = 0.0
    min_length_s: float = 0.0
    folder: str | None = None          # only files under this folder
    since: float | None = None         # only files modified at or after (Unix time)
    until: float | None = None         # ... and before
    model_id: str | None = None        # only scans by this model
    limit: int = 500                   # segments at most, the most confident

    def __post_init__(self) -> None:
        if not self.action.strip():
            raise BadInput("Name an action to search for.")
        if not 0.0 <= self.min_prob <= 1.0:
            raise BadInput(f"The minimum confidence must be between 0 and 1, not {self.min_prob!r}.")


@dataclass(frozen=True)
class Hit:
    """One segment: when in the file, which action, how sure, and which model found it."""

    start_s: float
    end_s: float
    label: str
    prob: float
    model_id: str
    model_name: str

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "label": self.label,
                "prob": round(self.prob, 6), "model": self.model_id}


@dataclass(frozen=True)
class FileHits:
    path: Path
    duration_s: float
    hits: tuple[Hit, ...]
    best: float = field(default=0.0)

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "duration_s": round(self.duration_s, 3), "best": round(self.best, 6),
                "segments": [h.to_json() for h in self.hits]}


def known_labels(db: sqlite3.Connection) -> list[str]:
    """Every label of every model the library was indexed with, sorted (for completion)."""
    labels: set[str] = set()
    for (text,) in db.execute("SELECT labels FROM models m WHERE EXISTS (SELECT 1 FROM scans s WHERE s.model = m.id)"):
        labels.update(json.loads(text))
    return sorted(labels, key=str.casefold)


def matching_labels(action: str, labels: list[str]) -> list[str]:
    """The labels `action` names: the one equal to it ignoring case, else those containing it."""
    wanted = action.strip().casefold()
    exact = [label for label in labels if label.casefold() == wanted]
    return exact or [label for label in labels if wanted in label.casefold()]


def search(db: sqlite3.Connection, query: SearchQuery) -> list[FileHits]:
    """The segments matching `query` (the `limit` most confident), grouped by file, files ranked by
    their best segment, each file's segments in time order."""
    labels = matching_labels(query.action, known_labels(db))
    if not labels:
        return []
    where = [f"g.label IN ({', '.join('?' * len(labels))})", "g.prob >= ?"]
    args: list[Any] = [*labels, query.min_prob]
    if query.min_length_s > 0:
        where.append("g.end_s - g.start_s >= ?")
        args.append(query.min_length_s)
    if query.folder:
        folder = str(Path(query.folder).expanduser().resolve()).rstrip(os.sep) + os.sep
        # A range on the path, not LIKE: '%' and '_' in folder names must not act as wildcards.
        where.append("f.path >= ? AND f.path < ?")
        args += [folder, folder[:-1] + chr(ord(os.sep) + 1)]
    if query.since is not None:
        where.append("f.mtime_ns >= ?")
        args.append(int(query.since * 1e9))
    if query.until is not None:
        where.append("f.mtime_ns < ?")
        args.append(int(query.until * 1e9))
    if query.model_id:
        where.append("m.model_id = ?")
        args.append(query.model_id)
    rows = db.execute(
        "SELECT f.path, coalesce(f.duration_s, 0), g.start_s, g.end_s, g.label, g.prob, m.model_id, m.name "
        "FROM segments g JOIN scans s ON s.id = g.scan_id JOIN files f ON f.id = s.file_id "
        f"JOIN models m ON m.id = s.model WHERE {' AND '.join(where)} ORDER BY g.prob DESC LIMIT ?",
        (*args, query.limit)).fetchall()
    # Rows come most confident first, so a file's first row is its best and files are met in rank order.
    grouped: dict[str, list[Any]] = {}
    for path, duration, start, end, label, prob, model_id, name in rows:
        grouped.setdefault(path, [duration]).append(Hit(start, end, label, prob, model_id, name))
    return [FileHits(Path(path), entry[0], tuple(sorted(entry[1:], key=_start)) if len(entry) > 2 else (entry[1],),
                     entry[1].prob) for path, entry in grouped.items()]


def _start(hit: Hit) -> float:
    return hit.start_s
