"""`kinetoscope teach train SET [--device cpu|npu] [--json]`: train the set into a model and report."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.probe import DEFAULT_METHOD, METHODS, NONE_LABEL, ProbeReport
from kinetoscope.engine.teach.teaching import TrainResult, train_set


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("train", help="train a set into a model named after it, and report its accuracy")
    a.add_argument("set", metavar="SET")
    a.add_argument("--device", choices=("cpu", "npu"), default="cpu", help="where the features are computed")
    a.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD,
                   help="ncm: nearest class mean (default); logreg: logistic regression")
    a.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args: argparse.Namespace, out: TextIO) -> int:
    def progress(done: int, total: int, what: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\rfeatures {done}/{total} {what[:50]:<50}", end="", file=sys.stderr, flush=True)

    result = train_set(args.set, device=args.device, method=args.method, on_progress=progress)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(format_report(args.set, result))
    return EXIT_OK


def format_report(name: str, result: TrainResult) -> str:
    report: ProbeReport = result.report
    lines = [f"Trained {name} ({report.method}) in {report.train_seconds * 1000:.0f} ms; features "
             f"{result.feature_seconds:.1f} s ({result.cache_hits} cached, {result.cache_misses} extracted).",
             f"Leave-one-clip-out accuracy: {report.accuracy:.0%} "
             f"({report.accepted_accuracy:.0%} counting '{NONE_LABEL}' as wrong).",
             *([f"Weights: the model's features {report.block_weights[0]:.2f}, the motion numbers "
                f"{report.block_weights[-1]:.2f}."] if len(report.block_weights) > 1 else []),
             "", "Per action:"]
    width = max(len(a) for a in report.labels)
    for label, n, acc in zip(report.labels, report.examples_per_action, report.per_action):
        lines.append(f"  {label:<{width}}  {n:>2} examples  {acc:>5.0%}")
    confused = [(report.labels[t], ([*report.labels, NONE_LABEL])[p], c)
                for t, row in enumerate(report.confusions) for p, c in enumerate(row) if c and p != t]
    if confused:
        lines += ["", "Confusions (held-out example -> taken for):"]
        lines += [f"  {t} -> {p}: {c}" for t, p, c in confused]
    lines += [f"warning: {w}" for w in report.warnings]
    lines.append(f"Saved as the model {result.manifest.model_id} ({result.manifest.precision}); use it with "
                 f"`kinetoscope classify CLIP --model {result.manifest.model_id}`.")
    return "\n".join(lines) + "\n"
