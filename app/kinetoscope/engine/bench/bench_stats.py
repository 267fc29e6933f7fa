"""Statistics for the benchmark: latency summaries, the speed-up between two cells as a ratio of
medians with a percentile-bootstrap interval, and the rounding the JSON export applies. Pure numpy;
nothing here knows about sessions or devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class LatencyStats:
    """Summary of latencies in milliseconds."""

    median: float
    p90: float
    p99: float
    mean: float
    sd: float
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Sequence[float]) -> LatencyStats:
        a = np.asarray(samples, np.float64)
        if a.size == 0:
            return cls(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), ())
        sd = float(a.std(ddof=1)) if a.size > 1 else 0.0
        return cls(float(np.median(a)), float(np.percentile(a, 90)), float(np.percentile(a, 99)),
                   float(a.mean()), sd, tuple(float(x) for x in a))

    def to_json(self) -> dict[str, Any]:
        return {"median": _r(self.median), "p90": _r(self.p90), "p99": _r(self.p99), "mean": _r(self.mean),
                "sd": _r(self.sd), "samples": [_r(x) for x in self.samples]}


def ratio_of_medians(baseline: Sequence[float], candidate: Sequence[float], *, seed: int = 0,
                     resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float, float]:
    """median(baseline) / median(candidate), with a percentile-bootstrap 95 % interval.

    Each side is resampled on its own: the runs are interleaved, not paired by design.
    """
    a = np.asarray(baseline, np.float64)
    b = np.asarray(candidate, np.float64)
    ratio = float(np.median(a) / np.median(b))
    if a.size < 2 or b.size < 2:
        return ratio, ratio, ratio
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, a.size, (resamples, a.size))], axis=1)
    mb = np.median(b[rng.integers(0, b.size, (resamples, b.size))], axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(ma / mb, [tail, 100 - tail])
    return ratio, float(low), float(high)


def _r(x: float, digits: int = 3) -> float | None:
    """`x` rounded for the JSON export; None when it is missing or not finite."""
    return None if x is None or not np.isfinite(x) else round(float(x), digits)
