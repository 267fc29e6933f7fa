"""What the library holds: its folders, files, hours of video, what each model has scanned, and the
files that cannot be read (each listed once, with its reason, until the file changes)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelCoverage:
    model_id: str
    precision: str
    name: str
    files: int
    hours: float


@dataclass(frozen=True)
class FolderStatus:
    path: str
    files: int
    exists: bool


@dataclass(frozen=True)
class LibraryStatus:
    folders: tuple[FolderStatus, ...]
    files: int
    hours: float
    models: tuple[ModelCoverage, ...]
    unreadable: tuple[tuple[str, str], ...]   # (path, reason)
    segments: int
    db_bytes: int

    def pending_for(self, model_id: str) -> int:
        """Files that `model_id` has not scanned yet (readable ones)."""
        done = sum(m.files for m in self.models if m.model_id == model_id)
        return max(0, self.files - len(self.unreadable) - done)

    def to_json(self) -> dict[str, Any]:
        return {
            "folders": [{"path": f.path, "files": f.files, "exists": f.exists} for f in self.folders],
            "files": self.files, "hours": round(self.hours, 4), "segments": self.segments,
            "models": [{"id": m.model_id, "precision": m.precision, "name": m.name, "files": m.files,
                        "hours": round(m.hours, 4)} for m in self.models],
            "unreadable": [{"path": p, "reason": r} for p, r in self.unreadable],
            "database_bytes": self.db_bytes,
        }


def library_status(db: sqlite3.Connection, db_path: Path | None = None) -> LibraryStatus:
    folders = tuple(FolderStatus(p, n, Path(p).is_dir()) for p, n in db.execute(
        "SELECT d.path, count(f.id) FROM folders d LEFT JOIN files f ON f.folder_id = d.id GROUP BY d.id ORDER BY d.path"))
    files, seconds = db.execute("SELECT count(*), coalesce(sum(duration_s), 0) FROM files").fetchone()
    models = tuple(ModelCoverage(mid, prec, name, n, (sec or 0) / 3600) for mid, prec, name, n, sec in db.execute(
        "SELECT m.model_id, m.precision, m.name, count(s.id), sum(f.duration_s) FROM models m "
        "JOIN scans s ON s.model = m.id JOIN files f ON f.id = s.file_id GROUP BY m.id ORDER BY m.model_id"))
    unreadable = tuple(db.execute("SELECT path, error FROM files WHERE error IS NOT NULL ORDER BY path"))
    segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    size = sum(p.stat().st_size for p in _db_files(db_path)) if db_path else 0
    return LibraryStatus(folders, files, seconds / 3600, models, unreadable, segments, size)


def _db_files(db_path: Path) -> list[Path]:
    return [p for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists()]
