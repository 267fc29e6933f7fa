"""`kinetoscope teach list [--json]`: the sets, their actions and whether they are trained."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.action_set import list_sets, load_set
from kinetoscope.engine.teach.teaching import trained_precisions


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("list", help="the action sets, and which are trained")
    a.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, out: TextIO) -> int:
    rows = []
    for name in list_sets():
        s = load_set(name)
        rows.append({"name": name, "base_model": s.base_model.to_json(), "actions": [a.name for a in s.actions],
                     "examples": s.example_count, "trained": trained_precisions(name), "updated_at": s.updated_at})
    if args.json:
        out.write(json.dumps({"sets": rows}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if not rows:
        out.write("No action sets yet; start one with `kinetoscope teach add SET ACTION CLIP`.\n")
        return EXIT_OK
    for r in rows:
        trained = ", ".join(r["trained"]) or "not trained"
        out.write(f"{r['name']:<20} {len(r['actions'])} actions, {r['examples']} examples, {trained}\n")
    return EXIT_OK
