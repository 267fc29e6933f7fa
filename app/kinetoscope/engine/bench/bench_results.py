"""Values a benchmark produces. Per cell: load time, first inference, latency median / p90 / p99 /
mean ± sd, clips per second, process memory; between cells: speed-up (ratio of medians, with a
bootstrap interval) and agreement of the predictions (top-1 and top-5 overlap); the whole result
with its JSON and CSV export; and the progress events reported while it runs. Frozen dataclasses,
filled in by the runner in `benchmark.py`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kinetoscope.engine.bench.bench_setup import BenchConfig
from kinetoscope.engine.bench.bench_stats import BOOTSTRAP_RESAMPLES, LatencyStats, _r
from kinetoscope.engine.inference.results import DeviceReport


SCHEMA = "kinetoscope.bench/1"


@dataclass(frozen=True)
class CellKey:
    precision: str
    device: str

    @property
    def name(self) -> str:
        return f"{self.device}/{self.precision}"


@dataclass(frozen=True)
class LoadFigures:
    """Session start-up: `cold` compiles (or, on the CPU, just builds); `cached` reuses a
    compiled NPU context. Either is None when not measured."""

    cold_ms: float | None
    cached_ms: float | None
    rss_growth_mb: float

    def to_json(self) -> dict[str, Any]:
        return {"cold": _r(self.cold_ms, 1) if self.cold_ms is not None else None,
                "cached": _r(self.cached_ms, 1) if self.cached_ms is not None else None}


@dataclass(frozen=True)
class CellResult:
    key: CellKey
    report: DeviceReport
    load: LoadFigures
    first_ms: float
    latency: LatencyStats        # ModelSession.run: what the app's pipeline spends per view
    bare: LatencyStats           # InferenceSession.run on the prepared feed, for the overhead
    peak_rss_mb: float           # highest process RSS sampled around this cell's runs
    cpu_config: dict[str, Any] | None

    @property
    def clips_per_s(self) -> float:
        return 1000.0 / self.latency.mean if self.latency.mean > 0 else float("nan")

    @property
    def overhead_pct(self) -> float:
        """Pipeline median over bare median, in percent above it."""
        if not self.bare.samples:
            return float("nan")
        return (self.latency.median / self.bare.median - 1.0) * 100

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": self.key.precision, "device": self.key.device, "label": self.report.label,
            "load_ms": self.load.to_json(), "first_ms": _r(self.first_ms, 2),
            "latency_ms": self.latency.to_json(), "clips_per_s": _r(self.clips_per_s),
            "peak_rss_mb": _r(self.peak_rss_mb, 1), "load_rss_growth_mb": _r(self.load.rss_growth_mb, 1),
            "bare_latency_ms": self.bare.to_json(), "pipeline_overhead_pct": _r(self.overhead_pct, 2),
            "device_report": self.report.to_json(), "cpu_config": self.cpu_config,
        }


@dataclass(frozen=True)
class Speedup:
    """How many times faster `candidate` is than `baseline` (ratio of median latencies)."""

    baseline: CellKey
    candidate: CellKey
    ratio: float
    low: float
    high: float

    def to_json(self) -> dict[str, Any]:
        return {"baseline": self.baseline.name, "candidate": self.candidate.name, "ratio": _r(self.ratio),
                "interval_95": [_r(self.low), _r(self.high)],
                "method": f"ratio of medians, percentile bootstrap ({BOOTSTRAP_RESAMPLES} resamples)"}


@dataclass(frozen=True)
class Agreement:
    """How alike two cells' predictions are over the same inputs."""

    a: CellKey
    b: CellKey
    top1: float           # fraction of inputs with the same top-1 class
    top5_overlap: float   # mean |top5(a) ∩ top5(b)| / 5
    max_abs_diff: float   # largest difference of any class probability
    inputs: int

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a.name, "b": self.b.name, "top1": _r(self.top1, 4),
                "top5_overlap": _r(self.top5_overlap, 4), "max_abs_prob_diff": _r(self.max_abs_diff, 6),
                "inputs": self.inputs}


def agreement(a: CellKey, b: CellKey, probs_a: Sequence[np.ndarray], probs_b: Sequence[np.ndarray]) -> Agreement:
    """How alike cells `a` and `b` predict, from each one's class probabilities for the same inputs."""
    top1 = overlap = diff = 0.0
    for pa, pb in zip(probs_a, probs_b, strict=True):
        top1 += float(np.argmax(pa) == np.argmax(pb))
        k = min(5, pa.size)
        overlap += len(set(np.argsort(-pa, kind="stable")[:k]) & set(np.argsort(-pb, kind="stable")[:k])) / k
        diff = max(diff, float(np.abs(pa - pb).max()))
    n = max(1, len(probs_a))
    return Agreement(a, b, top1 / n, overlap / n, diff, len(probs_a))


@dataclass(frozen=True)
class BenchResult:
    model_id: str
    model_name: str
    input: str
    config: BenchConfig
    cells: tuple[CellResult, ...]
    speedups: tuple[Speedup, ...]
    agreements: tuple[Agreement, ...]
    machine: dict[str, Any]
    elapsed_s: float
    cpu_tuning: dict[str, dict[str, float]] = field(default_factory=dict)  # precision -> config -> median ms

    def cell(self, precision: str, device: str) -> CellResult | None:
        return next((c for c in self.cells if c.key == CellKey(precision, device)), None)

    def to_json(self) -> dict[str, Any]:
        results: dict[str, dict[str, Any]] = {}
        for c in self.cells:
            results.setdefault(c.key.precision, {})[c.key.device] = c.to_json()
        return {
            "schema": SCHEMA, "model": {"id": self.model_id, "name": self.model_name}, "input": self.input,
            "runs": self.config.runs, "warmup": self.config.warmup, "interleaved": True,
            "machine": self.machine, "results": results,
            "speedup": [s.to_json() for s in self.speedups],
            "agreement": [a.to_json() for a in self.agreements],
            "cpu_tuning_median_ms": {p: {c: _r(ms) for c, ms in t.items()} for p, t in self.cpu_tuning.items()},
            "elapsed_s": _r(self.elapsed_s, 2),
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def write_csv(self, path: str | Path) -> tuple[Path, Path]:
        """A summary (one row per cell) at `path`, every sample beside it in `<stem>-samples.csv`."""
        path = Path(path)
        samples_path = path.with_name(f"{path.stem}-samples.csv")
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["model", "precision", "device", "label", "load_cold_ms", "load_cached_ms", "first_ms",
                        "median_ms", "p90_ms", "p99_ms", "mean_ms", "sd_ms", "runs", "clips_per_s",
                        "peak_rss_mb", "bare_median_ms", "pipeline_overhead_pct"])
            for c in self.cells:
                j = c.to_json()
                w.writerow([self.model_id, c.key.precision, c.key.device, c.report.label, j["load_ms"]["cold"],
                            j["load_ms"]["cached"], j["first_ms"], j["latency_ms"]["median"], j["latency_ms"]["p90"],
                            j["latency_ms"]["p99"], j["latency_ms"]["mean"], j["latency_ms"]["sd"],
                            len(c.latency.samples), j["clips_per_s"], j["peak_rss_mb"],
                            j["bare_latency_ms"]["median"], j["pipeline_overhead_pct"]])
        with open(samples_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["precision", "device", "run", "latency_ms", "bare_ms"])
            for c in self.cells:
                for i, ms in enumerate(c.latency.samples):
                    bare = c.bare.samples[i] if i < len(c.bare.samples) else ""
                    w.writerow([c.key.precision, c.key.device, i, round(ms, 4), bare if bare == "" else round(bare, 4)])
        return path, samples_path


# -- progress events -------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """What the benchmark is doing now; `done` of `total` steps."""

    text: str
    done: int
    total: int


@dataclass(frozen=True)
class CellReady:
    """A cell's session is loaded (after the cold and the cached start, when both are measured)."""

    key: CellKey
    report: DeviceReport
    load: LoadFigures
    load_kind: str


@dataclass(frozen=True)
class RunSample:
    key: CellKey
    phase: str            # "first" | "warmup" | "measured"
    index: int
    latency_ms: float
    rss_mb: float


BenchEvent = Stage | CellReady | RunSample
