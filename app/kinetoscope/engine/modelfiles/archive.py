"""Safe, atomic unpacking of model zips.

A zip from the internet is checked before anything is written where the app will look: every
member must stay inside the target folder (no `..`, no absolute paths, no links), the unpacked size
is bounded (zip bombs), and the CRCs must match. Unpacking goes to a temporary sibling folder that
is renamed into place only when complete, so a failure never leaves a half-written folder.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from kinetoscope.engine.errors import KinetoscopeError, ModelError

MAX_UNPACKED_BYTES = 8 * 1024**3
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # a model compresses far less than this; a zip bomb far more


def _member_path(name: str) -> PurePosixPath:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"absolute path {name!r}")
    if any(part == ".." for part in pure.parts):
        raise ValueError(f"path leaves the folder: {name!r}")
    return pure


def check_zip(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> list[zipfile.ZipInfo]:
    """Check a zip for damage and unsafe members; return its members. Raises ModelError."""
    name = path.name
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{name} is not a zip file, or it is damaged or incomplete.")
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise ModelError(f"{name} holds too many files ({len(members)}) to be a model bundle.")
            total = 0
            for info in members:
                try:
                    _member_path(info.filename)
                except ValueError as exc:
                    raise ModelError(f"{name} contains an unsafe file path and was refused.",
                                     detail=str(exc)) from exc
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ModelError(f"{name} contains a link and was refused.", detail=info.filename)
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
                    raise ModelError(f"{name} expands suspiciously much and was refused.",
                                     detail=f"{info.filename}: {info.compress_size} -> {info.file_size}")
            if total > max_unpacked:
                raise ModelError(f"{name} would unpack to {total / 1e9:.1f} GB, more than a model bundle needs.")
            bad = zf.testzip()
            if bad is not None:
                raise ModelError(f"{name} is damaged (checksum error in {bad}).")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ModelError(f"{name} is damaged or incomplete.", detail=str(exc)) from exc
    return members


def extract_zip_atomically(path: Path, dest: Path) -> Path:
    """Unpack a checked zip so that `dest` appears complete or not at all. Returns `dest`."""
    members = check_zip(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        with zipfile.ZipFile(path) as zf:
            for info in members:
                target = tmp.joinpath(*_member_path(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
        replace_dir(tmp, dest)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise KinetoscopeError(f"Not enough disk space to unpack {path.name}.", detail=str(exc)) from exc
        raise KinetoscopeError(f"Could not unpack {path.name}: {exc.strerror or exc}.", detail=str(exc)) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def replace_dir(new: Path, dest: Path) -> None:
    """Put folder `new` at `dest`, replacing any old one with at most a moment of absence."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
    try:
        os.replace(new, dest)
    except OSError:
        if old is not None:
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
