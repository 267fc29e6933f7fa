"""The library's SQLite file: opened in WAL mode with a busy timeout, its schema versioned.

Every connection is opened here, so each one gets the same settings: WAL (readers never wait for
the one writer), a busy timeout (a second writer waits instead of failing), foreign keys on. The
schema version is SQLite's `user_version`; `MIGRATIONS[n]` takes a database from version n to n+1.
A file SQLite cannot read is set aside (renamed, never deleted) and a new one started, with one
sentence for the person; the folder list is kept beside it, so the new one re-adds the folders.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.files import atomic_text_file
from kinetoscope.engine.paths import data_dir

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000   # how long a writer waits for another (the indexer commits a file at a time)
DB_NAME = "library.sqlite"
FOLDERS_NAME = "library-folders.json"   # the folder list, kept outside the database for a rebuild

_SCHEMA_1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added_at REAL NOT NULL
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    duration_s REAL,                 -- from the container header, then the scan
    error TEXT,                      -- why it cannot be read (cleared when the file changes)
    seen_at REAL NOT NULL
);
CREATE INDEX files_hash ON files(content_hash, size);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    precision TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,            -- JSON list: the model's class names, for completion
    UNIQUE (model_id, precision)
);
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    model INTEGER NOT NULL REFERENCES models(id),
    device TEXT NOT NULL,
    every_s REAL NOT NULL,
    window_s REAL NOT NULL,
    rule TEXT NOT NULL,              -- JSON SegmentRule
    recipe TEXT NOT NULL,            -- JSON input recipe
    scanned_at REAL NOT NULL,
    scan_ms REAL NOT NULL,
    UNIQUE (file_id, model)
);
CREATE INDEX scans_model ON scans(model);
-- Kept apart from scans, so the rows search joins stay small and many to a page.
CREATE TABLE scan_windows (
    scan_id INTEGER PRIMARY KEY REFERENCES scans(id) ON DELETE CASCADE,
    windows BLOB NOT NULL            -- each window's start, end and top-k (store.pack_windows)
);
CREATE TABLE segments (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    prob REAL NOT NULL,
    start_s REAL NOT NULL,
    end_s REAL NOT NULL
);
-- Search reads this index only (it covers the columns a search filters on): a label's segments,
-- most confident first.
CREATE INDEX segments_label_prob ON segments(label, prob DESC, scan_id, start_s, end_s);
CREATE INDEX segments_scan ON segments(scan_id);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _to_1(db: sqlite3.Connection) -> None:
    _run_script(db, _SCHEMA_1)


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript would commit the migration's transaction first.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_to_1,)
SCHEMA_VERSION = len(MIGRATIONS)


class LibraryTooNew(BadInput):
    """The database was written by a newer Kinetoscope, whose schema this one does not know."""


@dataclass(frozen=True)
class LibraryPaths:
    """Where one library lives: its database and the copy of its folder list."""

    folder: Path

    @classmethod
    def default(cls) -> LibraryPaths:
        return cls(data_dir())

    @property
    def db(self) -> Path:
        return self.folder / DB_NAME

    @property
    def folders_file(self) -> Path:
        return self.folder / FOLDERS_NAME

    @property
    def index_lock(self) -> Path:
        return self.folder / "library-index.lock"


def connect(paths: LibraryPaths) -> tuple[sqlite3.Connection, str]:
    """An open, migrated connection to the library, and a sentence for the person (or "").

    The sentence is set when a damaged file was set aside and a new one started. Raises
    LibraryTooNew for a database from a newer version (left untouched).
    """
    paths.folder.mkdir(parents=True, exist_ok=True)
    try:
        return _open(paths.db), ""
    except sqlite3.DatabaseError as exc:
        if not is_damaged(exc):
            raise
        aside = _set_aside(paths.db, exc)
    db = _open(paths.db)
    folders = saved_folders(paths)
    with transaction(db):
        for folder in folders:
            db.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (folder, time.time()))
    notice = (f"The library's database could not be read, so it was set aside as {aside.name} and a new one "
              f"started: its {len(folders)} folder{'' if len(folders) == 1 else 's'} will be indexed again.")
    log.warning("%s", notice)
    return db, notice


def is_damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says the file itself is broken (not busy, full or read-only)."""
    name = getattr(exc, "sqlite_errorname", "")
    if name:
        return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or name.startswith(("SQLITE_CORRUPT_", "SQLITE_NOTADB_"))
    return "not a database" in str(exc) or "malformed" in str(exc)


def _open(path: Path) -> sqlite3.Connection:
    # Transactions are explicit (`transaction`), so autocommit mode: no implicit BEGIN anywhere.
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            log.warning("the library at %s is not in WAL mode (file system without shared memory?)", path)
        db.execute("PRAGMA synchronous = NORMAL")   # WAL + NORMAL: a committed file survives a crash of the app
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, path)
        # Reading every table's first page finds a damaged header or schema now, not mid-search.
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            db.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise LibraryTooNew(f"The library at {path} was written by a newer Kinetoscope (schema {version}; "
                            f"this one knows {SCHEMA_VERSION}). Update Kinetoscope to use it.")
    if version == SCHEMA_VERSION:
        return
    with transaction(db):
        # Checked again inside the write lock: another process may have just migrated it.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, SCHEMA_VERSION):
            log.info("library %s: schema %d -> %d", path, step, step + 1)
            MIGRATIONS[step](db)
            db.execute(f"PRAGMA user_version = {step + 1}")


def _set_aside(db_path: Path, exc: Exception) -> Path:
    aside = db_path.with_name(f"{db_path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    log.error("library database %s is unreadable (%s); moving it to %s", db_path, exc, aside.name)
    db_path.replace(aside)
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            side.replace(aside.with_name(aside.name + suffix))
    return aside


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy
    timeout), so a transaction never fails half-way for want of it; rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def saved_folders(paths: LibraryPaths) -> list[str]:
    try:
        data = json.loads(paths.folders_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(f) for f in data.get("folders", []) if isinstance(f, str)]


def save_folders(paths: LibraryPaths, folders: list[str]) -> None:
    with atomic_text_file(paths.folders_file) as out:
        json.dump({"folders": folders}, out, indent=2, ensure_ascii=False)
