"""Process memory figures, measured the same way on Linux and Windows."""

from __future__ import annotations

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
