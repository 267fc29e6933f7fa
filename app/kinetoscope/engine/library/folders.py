"""The library's folders, and bringing its file list in line with what is on disk.

`sync` walks every folder (recursively, the video names the app opens), then in one short
transaction: new files are added, a file whose path vanished while a file with its size and
sampled hash appeared is moved (its scans kept), a file whose content changed loses its scans
(scanned again), a touched but unchanged file keeps them, and files gone from disk drop out. A
folder that is missing (an unplugged drive) is left alone, its files kept.
"""

from __future__ import annotations

import av
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.errors import BadInput, BadVideo
from kinetoscope.engine.library.database import LibraryPaths, save_folders, transaction
from kinetoscope.engine.library.identity import sampled_hash
from kinetoscope.engine.media.probe import open_container, video_stream
from kinetoscope.engine.media.video_files import videos_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    """What a walk over the folders changed."""

    added: int = 0
    moved: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    missing_folders: tuple[str, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()   # new or changed files that cannot be read: (path, why)

    def summary(self) -> str:
        parts = [f"{n} {what}" for n, what in ((self.added, "new"), (self.moved, "moved"), (self.changed, "changed"),
                                                (self.removed, "gone")) if n]
        text = ", ".join(parts) or "no changes"
        if self.missing_folders:
            text += f"; not found (kept): {', '.join(self.missing_folders)}"
        return text


def list_folders(db: sqlite3.Connection) -> list[str]:
    return [p for (p,) in db.execute("SELECT path FROM folders ORDER BY path")]


def add_folder(db: sqlite3.Connection, paths: LibraryPaths, folder: str | Path) -> Path:
    """Add `folder` (made absolute) to the library; its files are found by the next `sync`."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise BadInput(f"There is no folder at {folder}.")
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (str(folder), time.time()))
    save_folders(paths, list_folders(db))
    return folder


def remove_folder(db: sqlite3.Connection, paths: LibraryPaths, folder: str | Path) -> int:
    """Take `folder` and its files' scans out of the library; how many files went with it."""
    text = str(Path(folder).expanduser().resolve())
    known = list_folders(db)
    if text not in known:
        text = str(folder)
        if text not in known:
            raise BadInput(f"{folder} is not a library folder (the library has: {', '.join(known) or 'none'}).")
    with transaction(db):
        count = db.execute("SELECT count(*) FROM files f JOIN folders d ON d.id = f.folder_id WHERE d.path = ?",
                           (text,)).fetchone()[0]
        db.execute("DELETE FROM folders WHERE path = ?", (text,))
    save_folders(paths, list_folders(db))
    return count


def header_duration(path: Path) -> float:
    """The clip's length as its container's header states it (cheap: no packets read); 0 if unstated.
    Raises BadVideo when the file cannot be opened as video."""
    with open_container(path) as container:
        stream = video_stream(container, path)
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return container.duration / av.time_base if container.duration else 0.0


def sync(db: sqlite3.Connection) -> SyncReport:
    """Bring the files table in line with the folders on disk (see the module's docstring)."""
    folders = db.execute("SELECT id, path FROM folders").fetchall()
    on_disk: dict[str, tuple[int, int, int]] = {}      # path -> (size, mtime_ns, folder id)
    present: list[int] = []
    missing: list[str] = []
    for folder_id, folder in folders:
        if not Path(folder).is_dir():
            missing.append(folder)
            continue
        present.append(folder_id)
        for path in videos_in(Path(folder)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            on_disk.setdefault(str(path), (st.st_size, st.st_mtime_ns, folder_id))
    known = {path: (fid, size, mtime, digest) for fid, path, size, mtime, digest, folder_id in db.execute(
        "SELECT id, path, size, mtime_ns, content_hash, folder_id FROM files") if folder_id in present}
    gone = {p: v for p, v in known.items() if p not in on_disk}
    # Hashing and header reads happen before the transaction, so it holds the write lock briefly.
    new = {p: _look(Path(p), s[0]) for p, s in on_disk.items() if p not in known}
    touched = {p: _look(Path(p), s[0]) for p, s in on_disk.items()
               if p in known and (known[p][1], known[p][2]) != s[:2]}
    by_content = {(v[3], v[1]): p for p, v in gone.items()}
    added = moved = changed = 0
    now = time.time()
    with transaction(db):
        for path, (digest, duration, error) in new.items():
            size, mtime, folder_id = on_disk[path]
            old = by_content.pop((digest, size), None) if digest else None
            if old is not None:
                db.execute("UPDATE files SET path = ?, folder_id = ?, mtime_ns = ?, seen_at = ? WHERE id = ?",
                           (path, folder_id, mtime, now, gone.pop(old)[0]))
                moved += 1
                continue
            db.execute("INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, duration_s, error, seen_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (folder_id, path, size, mtime, digest, duration, error, now))
            added += 1
        for path, (digest, duration, error) in touched.items():
            fid, _, _, old_digest = known[path]
            size, mtime, _ = on_disk[path]
            if digest and digest == old_digest:
                db.execute("UPDATE files SET mtime_ns = ?, seen_at = ? WHERE id = ?", (mtime, now, fid))
                continue
            db.execute("DELETE FROM scans WHERE file_id = ?", (fid,))
            db.execute("UPDATE files SET size = ?, mtime_ns = ?, content_hash = ?, duration_s = ?, error = ?, "
                       "seen_at = ? WHERE id = ?", (size, mtime, digest, duration, error, now, fid))
            changed += 1
        for fid, *_ in gone.values():
            db.execute("DELETE FROM files WHERE id = ?", (fid,))
    unreadable = tuple((p, error) for p, (_, _, error) in (new | touched).items() if error and p in on_disk)
    report = SyncReport(added, moved, changed, len(gone), len(on_disk) - added - moved - changed, tuple(missing),
                        tuple(sorted(unreadable)))
    log.info("library sync: %s", report.summary())
    return report


def _look(path: Path, size: int) -> tuple[str, float | None, str | None]:
    """(sampled hash, header duration, why it cannot be read) for a new or changed file."""
    try:
        digest = sampled_hash(path, size)
    except OSError as exc:
        return "", None, f"Cannot read the file: {exc.strerror or exc}."
    try:
        return digest, header_duration(path), None
    except BadVideo as exc:
        return digest, None, exc.message
