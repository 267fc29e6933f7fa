"""Process memory figures, measured the same way on Linux and Windows."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import psutil


def current_rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    return psutil.Process().memory_info().rss / 1e6


def peak_rss_mb() -> float:
    """Highest resident set size this process has had, in MB."""
    info = psutil.Process().memory_info()
    peak = getattr(info, "peak_wset", None)  # Windows
    if peak is not None:
        return peak / 1e6
    import resource  # POSIX only

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return maxrss / 1e6 if sys.platform == "darwin" else maxrss * 1024 / 1e6


def return_freed_memory() -> None:
    """Hand memory the process has freed back to the system where the allocator keeps it.

    glibc keeps freed blocks (an inference session's graph and buffers are hundreds of MB) in
    its arenas for reuse, so the resident size stays at its high-water mark; `malloc_trim` gives
    the unused pages back. Elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass
