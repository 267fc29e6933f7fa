"""Side-by-side benchmark of one model on the CPU and the NPU, at one or two precisions.

Every (precision, device) pair is a *cell*. Cells are loaded one after another (the NPU twice when
asked: a cold compile, then a start from the compiled-context cache), then run interleaved —
A, B, C, D, A, B, … — so that whatever else the machine does at a moment hits every cell alike.
Beside each timed `ModelSession.run` a bare `InferenceSession.run` on the same, already prepared
input is timed too, so the pipeline's own overhead is measured, not assumed. This module holds
what to run (config, inputs, CPU tuning) and the runner; the figures it produces are in
`bench_results.py`, the statistics behind them in `bench_stats.py`.
"""

from __future__ import annotations

import gc
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnxruntime as ort

from kinetoscope.engine.bench.bench_results import (Agreement, BenchEvent, BenchResult, CellKey, CellReady, CellResult,
                                              LoadFigures, RunSample, Speedup, Stage, agreement)
from kinetoscope.engine.bench.bench_setup import BenchConfig, BenchInput
from kinetoscope.engine.bench.bench_stats import LatencyStats, ratio_of_medians
from kinetoscope.engine.modelfiles.bundle import ModelBundle
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.inference.context_cache import ContextCache, qnn_package_version
from kinetoscope.engine.memory import current_rss_mb
from kinetoscope.engine.inference.session import CpuConfig, ModelSession, forget_compiled_context


def bench_precisions(model: str) -> list[str]:
    """The benchmarkable precisions installed for a model id (float first); [] for a path."""
    from kinetoscope.engine.modelfiles.model_store import PRECISIONS, available_models

    found = {m.precision for m in available_models() if m.model_id == model}
    return [p for p in PRECISIONS if p in found]


def open_bench_bundles(model: str, precisions: Sequence[str] | None = None) -> list[ModelBundle]:
    """The bundles to compare: `model` is an id (every installed precision by default, or those
    named) or a path to one bundle. Raises ModelError."""
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.errors import ModelError
    from kinetoscope.engine.modelfiles.model_store import resolve_model

    installed = bench_precisions(model)
    if not installed:  # a path, or an unknown id (resolve_model says which)
        bundle = open_bundle(resolve_model(model))
        if precisions and bundle.precision not in precisions:
            raise ModelError(f"{model} is a {bundle.precision} model, not {', '.join(precisions)}.")
        return [bundle]
    wanted = list(precisions) if precisions else [p for p in installed if p in ("float", "w8a8")] or installed[:1]
    return [open_bundle(resolve_model(model, p)) for p in wanted]


def cpu_candidates() -> tuple[CpuConfig, ...]:
    """CPU settings worth trying: one thread or one per core, basic or all graph optimisations.
    Parallel execution is left out: these graphs are chains, and it measured slower."""
    cores = CpuConfig().resolved_threads()
    threads = sorted({1, cores})
    levels = (ort.GraphOptimizationLevel.ORT_ENABLE_BASIC, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    return tuple(CpuConfig(t, g) for t in threads for g in levels)


def tune_cpu(bundle: ModelBundle, bench_input: BenchInput, rounds: int = 5, *,
             cancel: CancelToken | None = None) -> tuple[CpuConfig, dict[str, float]]:
    """The fastest of `cpu_candidates()` for `bundle` on this machine now (interleaved rounds,
    median latency), and every candidate's median in ms."""
    sessions = [(c, ModelSession(bundle, "cpu", cpu=c)) for c in cpu_candidates()]
    times: list[list[float]] = [[] for _ in sessions]
    for r in range(rounds + 1):  # the first round warms up
        for i, (_, session) in enumerate(sessions):
            if cancel is not None:
                cancel.raise_if_cancelled()
            t0 = time.perf_counter()
            session.run(bench_input.views[r % len(bench_input.views)])
            if r:
                times[i].append((time.perf_counter() - t0) * 1000)
    medians = {c.describe(): float(np.median(t)) for (c, _), t in zip(sessions, times)}
    best = min(range(len(sessions)), key=lambda i: np.median(times[i]))
    return sessions[best][0], medians


def machine_info() -> dict[str, Any]:
    """The machine and the software versions the figures are measured with."""
    import psutil

    return {"system": platform.system(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(),
            "physical_cores": psutil.cpu_count(logical=False), "logical_cores": psutil.cpu_count(),
            "python": platform.python_version(), "onnxruntime": ort.__version__,
            "onnxruntime_qnn": qnn_package_version()}


# -- the runner ------------------------------------------------------------------------------

class _Cell:
    """A cell while it runs: its session and what has been measured so far."""

    def __init__(self, key: CellKey, session: ModelSession, load: LoadFigures) -> None:
        self.key, self.session, self.load = key, session, load
        self.first_ms = float("nan")
        self.latencies: list[float] = []
        self.bare: list[float] = []
        self.peak_rss = 0.0
        self.outputs: dict[int, np.ndarray] = {}


def run_benchmark(bundles: Sequence[ModelBundle], bench_input: BenchInput, config: BenchConfig = BenchConfig(),
                  *, on_event: Callable[[BenchEvent], None] | None = None, cancel: CancelToken | None = None,
                  context_cache: ContextCache | None = None) -> BenchResult:
    """Benchmark each bundle (one per precision) on each device of `config`, interleaved.

    Raises Cancelled when `cancel` is set (checked between runs and loads), DeviceError or
    ModelError when a session cannot be made.
    """
    if not bundles or not config.devices or config.runs < 1 or config.warmup < 0:
        raise ValueError("need at least one bundle, one device and one run")
    started = time.perf_counter()
    emit = on_event or (lambda _event: None)
    keys = [CellKey(b.precision, d) for b in bundles for d in config.devices]
    by_precision = {b.precision: b for b in bundles}
    views = bench_input.views
    loads = len(keys) + sum(1 for k in keys if k.device == "npu" and config.measure_cold and config.use_context_cache)
    total = loads + len(keys) * (1 + config.warmup + config.runs)
    done = 0

    def step(text: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        emit(Stage(text, done, total))

    tuned: dict[str, CpuConfig] = {}
    tuning: dict[str, dict[str, float]] = {}
    if config.tune_cpu and "cpu" in config.devices:
        for bundle in bundles:
            step(f"Choosing the fastest CPU settings for {bundle.precision}…")
            tuned[bundle.precision], tuning[bundle.precision] = tune_cpu(bundle, bench_input, config.tune_rounds,
                                                                         cancel=cancel)
    cells: list[_Cell] = []
    for key in keys:
        bundle = by_precision[key.precision]
        step(f"Loading {bundle.name} ({key.precision}) on {key.device.upper()}…")
        cpu = tuned.get(key.precision, config.cpu)
        cell, steps = _load_cell(key, bundle, config, cpu, context_cache, step)
        done += steps
        cells.append(cell)
        emit(CellReady(key, cell.session.report, cell.load, cell.session.load_kind))

    def timed_run(cell: _Cell, phase: str, index: int) -> None:
        nonlocal done
        view = index % len(views)
        t0 = time.perf_counter()
        probs = cell.session.run(views[view])
        ms = (time.perf_counter() - t0) * 1000
        cell.outputs.setdefault(view, probs)
        rss = current_rss_mb()
        cell.peak_rss = max(cell.peak_rss, rss)
        if phase == "first":
            cell.first_ms = ms
        elif phase == "measured":
            cell.latencies.append(ms)
        done += 1
        emit(RunSample(cell.key, phase, index, ms, rss))

    for cell in cells:
        step(f"First inference on {cell.session.report.label} ({cell.key.precision})…")
        timed_run(cell, "first", 0)
    for i in range(config.warmup):
        for cell in cells:
            step(f"Warm-up {i + 1} of {config.warmup}")
            timed_run(cell, "warmup", i)
    feeds = {id(c): [c.session.feed_for(v) for v in views] for c in cells}
    for i in range(config.runs):
        for cell in cells:
            step(f"Run {i + 1} of {config.runs}")
            if i < config.overhead_runs and i % 2:
                cell.bare.append(_bare_run(cell, feeds[id(cell)][i % len(views)]))
            timed_run(cell, "measured", i)
            if i < config.overhead_runs and not i % 2:
                cell.bare.append(_bare_run(cell, feeds[id(cell)][i % len(views)]))
    for cell in cells:  # every input's output, for agreement, even when runs < views
        for v in range(len(views)):
            if v not in cell.outputs:
                cell.outputs[v] = cell.session.run(views[v])
    emit(Stage("Done", total, total))
    results = tuple(_finish(c) for c in cells)
    speedups, agreements = _comparisons(cells, len(views))
    first = bundles[0]
    return BenchResult(first.model_id, first.name, bench_input.description, config, results, speedups,
                       agreements, machine_info(), time.perf_counter() - started, tuning)


def _load_cell(key: CellKey, bundle: ModelBundle, config: BenchConfig, cpu: CpuConfig,
               cache: ContextCache | None, step: Callable[[str], None]) -> tuple[_Cell, int]:
    cold_ms = cached_ms = None
    steps = 1
    gc.collect()
    rss_before = current_rss_mb()
    if key.device == "cpu":
        session = ModelSession(bundle, "cpu", cpu=cpu)
        cold_ms = session.load_ms
    else:
        if config.use_context_cache and config.measure_cold:
            forget_compiled_context(bundle, cache)
            cold = ModelSession(bundle, "npu", context_cache=cache)
            cold_ms = cold.load_ms
            del cold  # release the compiled graph before the cached start
            gc.collect()
            steps += 1
            step(f"Loading {bundle.name} ({key.precision}) on the NPU from its compiled context…")
        session = ModelSession(bundle, "npu", use_context_cache=config.use_context_cache, context_cache=cache)
        if session.load_kind == "cached":
            cached_ms = session.load_ms
        else:
            cold_ms = session.load_ms
    growth = current_rss_mb() - rss_before
    return _Cell(key, session, LoadFigures(cold_ms, cached_ms, growth)), steps


def _bare_run(cell: _Cell, feed: np.ndarray) -> float:
    ort_session = cell.session.ort_session
    inputs = cell.session.inputs_for(feed)
    t0 = time.perf_counter()
    ort_session.run(None, inputs)
    return (time.perf_counter() - t0) * 1000


def _finish(cell: _Cell) -> CellResult:
    cpu = cell.session.cpu_config
    return CellResult(cell.key, cell.session.report, cell.load, cell.first_ms, LatencyStats.of(cell.latencies),
                      LatencyStats.of(cell.bare), cell.peak_rss, cpu.to_json() if cpu else None)


def _comparisons(cells: list[_Cell], n_views: int) -> tuple[tuple[Speedup, ...], tuple[Agreement, ...]]:
    """NPU against CPU at each precision, then w8a8 against float on each device."""
    by_key = {c.key: c for c in cells}
    pairs: list[tuple[CellKey, CellKey]] = []
    precisions = list(dict.fromkeys(c.key.precision for c in cells))
    devices = list(dict.fromkeys(c.key.device for c in cells))
    for p in precisions:
        if CellKey(p, "cpu") in by_key and CellKey(p, "npu") in by_key:
            pairs.append((CellKey(p, "cpu"), CellKey(p, "npu")))
    for d in devices:
        for i, p in enumerate(precisions):
            for q in precisions[i + 1:]:
                pairs.append((CellKey(p, d), CellKey(q, d)))
    speedups, agreements = [], []
    for a, b in pairs:
        ca, cb = by_key[a], by_key[b]
        ratio, low, high = ratio_of_medians(ca.latencies, cb.latencies)
        speedups.append(Speedup(a, b, ratio, low, high))
        agreements.append(agreement(a, b, [ca.outputs[v] for v in range(n_views)],
                                    [cb.outputs[v] for v in range(n_views)]))
    return tuple(speedups), tuple(agreements)
