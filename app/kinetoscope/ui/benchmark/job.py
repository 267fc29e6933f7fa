"""What the benchmark lane runs: one benchmark, its events batched for the GUI thread.

Its own lane, not the engine lane: a benchmark must not queue behind (or hold up) the window's
classifications for minutes. Cancellation goes through the task's CancelToken, checked between
runs; the thread is never terminated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kinetoscope.engine.bench.bench_results import BenchEvent, BenchResult, Stage
from kinetoscope.engine.bench.bench_setup import BenchConfig, clip_input, synthetic_input
from kinetoscope.engine.bench.benchmark import open_bench_bundles, run_benchmark
from kinetoscope.ui.tasks import BatchedReport, TaskContext


@dataclass(frozen=True)
class BenchRequest:
    """What the view asked for."""

    model: str
    precisions: tuple[str, ...]
    config: BenchConfig
    clip: Path | None = None   # None: the fixed synthetic clip set
    views: int = 5


def run_bench(ctx: TaskContext, request: BenchRequest) -> BenchResult:
    """The benchmark lane's job; progress arrives as lists of `BenchEvent`s, at most every 0.1 s."""
    batch = BatchedReport(ctx)

    def add(event: BenchEvent) -> None:
        if isinstance(event, Stage):  # only the latest stage matters to the view
            batch.pending[:] = [e for e in batch.pending if not isinstance(e, Stage)]
        batch.add(event)

    try:
        bundles = open_bench_bundles(request.model, request.precisions)
        ctx.raise_if_cancelled()
        bench_input = (clip_input(request.clip, bundles[0].recipe, views=request.views) if request.clip
                       else synthetic_input(bundles[0].recipe, views=request.views))
        return run_benchmark(bundles, bench_input, request.config, on_event=add, cancel=ctx.token)
    finally:
        batch.flush()  # what was measured before an error or a cancel is still shown
