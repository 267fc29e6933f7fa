"""`kinetoscope bench`: the same model on the CPU and the NPU, side by side, from the command line."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TextIO

from kinetoscope.cli.progress import ProgressLine
from kinetoscope.engine.bench.bench_results import BenchEvent, BenchResult, CellResult, Stage
from kinetoscope.engine.bench.bench_setup import BenchConfig, clip_input, synthetic_input
from kinetoscope.engine.bench.benchmark import open_bench_bundles, run_benchmark
from kinetoscope.engine.modelfiles.model_store import PRECISIONS


def _csv_list(allowed: tuple[str, ...]):  # noqa: ANN202 - an argparse type
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
        bad = [t for t in items if t not in allowed]
        if not items or bad:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)} (comma-separated)")
        return items
    return parse


def _count(low: int):  # noqa: ANN202 - an argparse type
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= 10_000:
            raise argparse.ArgumentTypeError(f"must be between {low} and 10000")
        return value
    return parse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `bench` on the top-level subparsers."""
    p = sub.add_parser("bench", help="benchmark a model on the CPU and the NPU, side by side")
    p.add_argument("--model", default="motion_demo", help="installed model id, release zip or folder")
    p.add_argument("--precision", type=_csv_list(PRECISIONS),
                   help="comma-separated, e.g. float,w8a8 (default: every installed one)")
    p.add_argument("--devices", type=_csv_list(("cpu", "npu")), default=("cpu", "npu"),
                   help="comma-separated (default cpu,npu)")
    p.add_argument("--runs", type=_count(1), default=20, help="measured runs per device (default 20)")
    p.add_argument("--warmup", type=_count(0), default=3, help="warm-up runs per device (default 3)")
    p.add_argument("--clip", help="benchmark on this clip's views (default: a fixed synthetic clip)")
    p.add_argument("--views", type=_count(1), default=5,
                   help="distinct inputs the runs cycle through: the clip's views or synthetic clips (default 5)")
    p.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    p.add_argument("--tune-cpu", action="store_true",
                   help="first try a few CPU settings and run the CPU with the fastest (reported)")
    p.add_argument("--no-cold", action="store_true",
                   help="do not recompile for the NPU to time a cold start (keep its cached context)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    bundles = open_bench_bundles(args.model, args.precision)
    bench_input = (clip_input(args.clip, bundles[0].recipe, views=args.views) if args.clip
                   else synthetic_input(bundles[0].recipe, views=args.views))
    config = BenchConfig(devices=tuple(args.devices), runs=args.runs, warmup=args.warmup,
                         measure_cold=not args.no_cold, tune_cpu=args.tune_cpu)
    progress = ProgressLine(sys.stderr)

    def on_event(event: BenchEvent) -> None:
        if isinstance(event, Stage):  # a line per stage in a log; one rewritten line on a terminal
            progress.show(f"[{event.done}/{event.total}] {event.text}", off_terminal=True)

    try:
        result = run_benchmark(bundles, bench_input, config, on_event=on_event)
    finally:
        progress.close()
    out.write(format_bench(result) + "\n")
    if args.json:
        result.write_json(args.json)
        out.write(f"\nWrote {args.json}\n")
    return 0


def _ms(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _row(c: CellResult) -> list[str]:
    lat = c.latency
    return [c.key.precision, c.report.label, _ms(c.load.cold_ms), _ms(c.load.cached_ms), _ms(c.first_ms),
            _ms(lat.median), _ms(lat.p90), _ms(lat.p99), f"{_ms(lat.mean)} ± {_ms(lat.sd)}",
            f"{c.clips_per_s:.2f}", f"{c.peak_rss_mb:.0f}"]


def format_bench(result: BenchResult) -> str:
    """The result as a table and a few lines of comparisons, for a terminal."""
    cfg = result.config
    header = ["precision", "device", "load cold", "cached", "first", "median", "p90", "p99", "mean ± sd",
              "clips/s", "peak MB"]
    rows = [header] + [_row(c) for c in result.cells]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"Model    {result.model_name} ({result.model_id})",
             f"Input    {result.input}",
             f"Runs     {cfg.runs} measured after {cfg.warmup} warm-up per device, interleaved; times in ms", ""]
    for i, r in enumerate(rows):
        lines.append("  ".join(v.ljust(w) if j < 2 else v.rjust(w) for j, (v, w) in enumerate(zip(r, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    if any(c.report.simulated for c in result.cells):
        lines += ["", "Note     the NPU here is Qualcomm's x86 HTP simulator: correct results, not NPU speed."]
    for c in result.cells:
        if c.report.fallback_nodes or c.report.note:
            lines.append(f"Device   {c.key.name}: {c.report.summary()}")
    lines += ["", "Pipeline overhead (engine run vs bare InferenceSession.run, medians)"]
    for c in result.cells:
        lines.append(f"  {c.key.name:<12} {_ms(c.latency.median):>8} vs {_ms(c.bare.median):>8}   "
                     f"{c.overhead_pct:+.1f} %")
    if result.speedups:
        lines += ["", "Speed-up (ratio of medians, 95 % bootstrap interval)"]
        for s in result.speedups:
            lines.append(f"  {s.candidate.name:<12} vs {s.baseline.name:<12} {s.ratio:8.3g}×  "
                         f"[{s.low:.3g}–{s.high:.3g}]")
        lines += ["", "Agreement"]
        for a in result.agreements:
            lines.append(f"  {a.a.name:<12} ~ {a.b.name:<12} top-1 {a.top1 * 100:5.1f} %   top-5 overlap "
                         f"{a.top5_overlap * 100:5.1f} %   max |Δp| {a.max_abs_diff:.4f}   ({a.inputs} inputs)")
    for c in result.cells:
        if c.cpu_config:
            cpu = c.cpu_config
            lines.append(f"{'' if lines[-1].startswith('CPU') else chr(10)}CPU      {c.key.precision}: {cpu['threads']} "
                         f"threads, {cpu['graph_optimization']}, {cpu['execution_mode']}")
    for precision, medians in result.cpu_tuning.items():
        tried = ", ".join(f"{name} {_ms(ms)} ms" for name, ms in sorted(medians.items(), key=lambda kv: kv[1]))
        lines.append(f"  tuned {precision}: {tried}")
    return "\n".join(lines)
