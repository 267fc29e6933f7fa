"""File helpers every part of the engine shares: content hashes, free-space checks, atomic writes."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import BadInput, KinetoscopeError
from kinetoscope.words import size_text

_CHUNK = 1 << 20


class DiskFull(KinetoscopeError):
    """Not enough free space for a download, an install or a cache entry."""


def sha256_file(path: Path, cancel: CancelToken | None = None) -> str:
    """The file's SHA-256 as hex, read in 1 MB blocks; `cancel` is checked between blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            digest.update(block)
    return digest.hexdigest()


def require_free_space(folder: Path, needed: int, what: str) -> None:
    """Raise DiskFull unless `folder`'s disk has `needed` bytes free; `what` completes "Not enough
    disk space …" (e.g. "for the download", "to install x.zip")."""
    free = shutil.disk_usage(folder).free
    if needed > 0 and needed > free:
        raise DiskFull(f"Not enough disk space {what}: it needs {size_text(needed)} but only {size_text(free)} "
                       f"is free in {folder}.")


class CannotWrite(BadInput):
    """A file the user asked for cannot be written (no such folder, no permission)."""


@contextlib.contextmanager
def atomic_text_file(path: str | Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """Open a UTF-8 text stream whose content replaces `path` only when the block completes.

    The text goes to a temporary file in the same folder, renamed over `path` at the end; on any
    failure (or cancel) the temporary file is removed and `path` is left as it was. Disk-full and
    permission errors become DiskFull / CannotWrite with a message that names the file.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        # mkstemp makes the file private (0600); a saved file gets the mode any new file would.
        os.chmod(tmp, _new_file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _new_file_mode(path: Path) -> int:
    """The mode `path` has, or else what a newly created file gets under the process's umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        pass
    umask = 0o022
    try:  # Linux states it without changing it (os.umask can only be read by setting it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                umask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o666 & ~umask


def _write_error(path: Path, exc: OSError) -> KinetoscopeError:
    detail = f"{path}: {type(exc).__name__}: {exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"Not enough disk space to write {path.name} in {path.parent}.", detail=detail)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return CannotWrite(f"Kinetoscope may not write to {path.parent}: choose another folder for {path.name}.",
                           detail=detail)
    if exc.errno == errno.ENOENT:
        return CannotWrite(f"The folder for {path.name} does not exist: {path.parent}.", detail=detail)
    if exc.errno == errno.EISDIR:
        return CannotWrite(f"{path} is a folder; give a file name to write.", detail=detail)
    return CannotWrite(f"Cannot write {path.name}: {exc.strerror or exc}.", detail=detail)

