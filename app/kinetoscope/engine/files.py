"""File helpers every part of the engine shares: content hashes and free-space checks."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import KinetoscopeError

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


def size_text(n: float) -> str:
    """Bytes as people read them: 0.6 MB, 120.4 MB, 1.2 GB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"
