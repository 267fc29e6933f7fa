"""`kinetoscope teach show SET [--json]`: a set's actions and examples, and its last training report."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.action_set import load_set
from kinetoscope.engine.teach.teaching import taught_info, trained_precisions


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("show", help="a set's actions, examples and last training report")
    a.add_argument("set", metavar="SET")
    a.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, out: TextIO) -> int:
    s = load_set(args.set)
    trained = {p: (taught_info(s.name, p) or {}).get("report") for p in trained_precisions(s.name)}
    if args.json:
        out.write(json.dumps({**s.to_json(), "trained": trained}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(f"{s.name}: taught on {s.base_model.describe()}, {len(s.actions)} actions, "
              f"{s.example_count} examples\n")
    for action in s.actions:
        out.write(f"  {action.name}\n")
        for i, e in enumerate(action.examples, 1):
            out.write(f"    {i}. {e.clip} ({e.span_text()})\n")
    for precision, report in trained.items():
        if isinstance(report, dict):
            out.write(f"Trained ({precision}): leave-one-clip-out accuracy {report['loo_accuracy']:.0%} "
                      f"with {report['method']}\n")
    if not trained:
        out.write("Not trained yet.\n")
    return EXIT_OK
