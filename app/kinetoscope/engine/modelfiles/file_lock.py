"""An inter-process advisory lock on a small file, which the OS drops when its holder dies.

`fcntl.flock` on POSIX, `msvcrt.locking` on Windows. Both belong to the open file (flock to the
open file description, msvcrt to the handle), not to the process, so two `FileLock`s on the same
path exclude each other even inside one process (two threads, two panes). (Linux NFS turns flock
into per-process locks; there only other processes are excluded.)

The holder deletes the lock file as it lets go, so no `*.lock` outlives its download. Deleting it
alone would let a process that opened the old file just before the deletion lock that orphan
while another creates and locks a new file: two holders. So a taker, once it has the lock,
checks that the file it locked is still the one at the path (same device and inode) and starts
again when it is not. A crashed holder leaves the file behind, unlocked; the next holder removes
it. (On Windows an open file cannot be deleted; there the file stays, which is harmless.)

Anyone may ask whether a download is running elsewhere with `held_elsewhere`, which takes the
lock and lets go at once. That peek briefly holds the lock itself, so a real taker waits a little
(`try_acquire(wait_s=…)`) rather than failing at the first refusal: a peek lasts microseconds,
a real holder for the whole download.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

# Locking not supported by the file system (some network shares): go on without it, as before.
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}
_RETRY_S = 0.02  # between attempts while waiting for a lock

if sys.platform == "win32":
    import msvcrt

    # Windows byte locks also block other handles' reads of the locked bytes, so the lock sits far
    # past the holder's pid (written at offset 0), which others read for their messages.
    _LOCK_OFFSET = 1 << 16

    def _try_lock(fd: int, shared: bool = False) -> bool:
        # No shared byte locks here: two peeks can refuse each other for a moment (see held_elsewhere).
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # one byte; locking past the end is allowed
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, shared: bool = False) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """An exclusive, non-blocking lock on `path` (created if missing). One object, one holder;
    not meant to be shared between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock, trying again every 20 ms for up to `wait_s` seconds; False when someone
        else still holds it then. A small wait rides out `held_elsewhere` peeks.

        Raises OSError when the lock file cannot be created. On a file system without locking
        support this logs a warning and returns True (no exclusion, as without this lock).
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this FileLock")
        deadline = time.monotonic() + wait_s
        while True:
            # Python's descriptors are not inherited by the programs a holder starts (subprocess,
            # exec), so they never keep its lock alive; the engine never forks without exec.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
            try:
                locked = _try_lock(fd)
                while not locked and time.monotonic() < deadline:
                    time.sleep(min(_RETRY_S, max(0.0, deadline - time.monotonic())))
                    locked = _try_lock(fd)
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    os.close(fd)
                    raise
                log.warning("file locking is not supported for %s (%s); continuing without it", self.path, exc)
                locked = True
            if not locked:
                os.close(fd)
                return False
            if self._still_at_path(fd):
                break
            os.close(fd)  # its holder deleted it as we waited: lock the file at the path now
        self._fd = fd
        with contextlib.suppress(OSError):  # only for people reading the file; not needed to lock
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, str(os.getpid()).encode("ascii"))
        return True

    def _still_at_path(self, fd: int) -> bool:
        """Whether the locked file `fd` is the one at the path (not deleted or replaced since opened)."""
        try:
            opened, now = os.fstat(fd), os.stat(self.path)
        except FileNotFoundError:
            return False
        # Windows reports no inode numbers on some file systems (0): there, files are never deleted.
        return (opened.st_dev, opened.st_ino) == (now.st_dev, now.st_ino) or not opened.st_ino

    def release(self) -> None:
        """Delete the lock file and let go of the lock (closing the file alone would let go)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):  # Windows: an open file cannot be deleted; it stays
            self.path.unlink()
        try:
            with contextlib.suppress(OSError):
                _unlock(fd)
        finally:
            os.close(fd)

    def holder_pid(self) -> int | None:
        """The process id the current holder wrote into the file, when readable (for logs)."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            return None
        return int(text) if text.isdigit() else None


def held_elsewhere(path: Path) -> bool:
    """Whether another holder has the lock on `path` right now: try it and let go at once.

    Never creates the file (no file, no holder: False) and never waits. The peek holds the lock for
    microseconds; on POSIX it takes a shared lock, so peeks never refuse each other, only real
    holders. A taker that arrives during a peek is refused once and succeeds on its next try, which
    is why takers use `try_acquire(wait_s=…)`. Errors (unreadable file, no locking on this file
    system) count as "not held": this is a hint for displays, not a guard.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        if not _try_lock(fd, shared=True):
            return True
        with contextlib.suppress(OSError):
            _unlock(fd)
        return False
    except OSError as exc:
        log.debug("could not peek at the lock %s: %s", path, exc)
        return False
    finally:
        os.close(fd)
