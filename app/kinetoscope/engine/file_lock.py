"""An inter-process advisory lock on a small file, which the OS drops when its holder dies.

`fcntl.flock` on POSIX, `msvcrt.locking` on Windows. Both belong to the open file (flock to the
open file description, msvcrt to the handle), not to the process, so two `FileLock`s on the same
path exclude each other even inside one process (two threads, two panes).

The lock file is never deleted. Deleting it would let a process that opened the old file just
before the deletion lock that orphan while another creates and locks a new file: two holders.
An empty file left behind is harmless; a crashed holder leaves it unlocked.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# Locking not supported by the file system (some network shares): go on without it, as before.
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # byte 0; locking past the end is allowed
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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

    def try_acquire(self) -> bool:
        """Take the lock now, or return False at once when someone else holds it.

        Raises OSError when the lock file cannot be created. On a file system without locking
        support this logs a warning and returns True (no exclusion, as without this lock).
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this FileLock")
        # Python's descriptors are not inherited by child processes, so a holder's children
        # never keep its lock alive.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
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
        self._fd = fd
        with contextlib.suppress(OSError):  # only for people reading the file; not needed to lock
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, str(os.getpid()).encode("ascii"))
        return True

    def release(self) -> None:
        """Let go of the lock (closing the file alone would do; unlocking first is explicit)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
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
