"""`kinetoscope teach add SET ACTION CLIP [--from S] [--to S]`: one more example (creates the set)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.cli.arg_types import number_in
from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.teaching import add_example


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("add", help="add an example clip, or a part of one, to an action (creates the set)")
    a.add_argument("set", metavar="SET", help="the set's name: lower-case letters, digits, underscores")
    a.add_argument("action", metavar="ACTION", help="the action's name, e.g. 'jab' (quote names with spaces)")
    a.add_argument("clip", metavar="CLIP", help="a video file")
    a.add_argument("--from", dest="start", type=number_in(float, 0.0, 1e7, "a number of seconds", " seconds"), help="start of the part (s)")
    a.add_argument("--to", dest="end", type=number_in(float, 0.0, 1e7, "a number of seconds", " seconds"), help="end of the part (s)")
    a.add_argument("--model", help="for a new set: the model to teach on (default: i3d_kinetics)")
    a.add_argument("--precision", choices=("float", "w8a8"), help="for a new set: default float")
    a.add_argument("--device", choices=("cpu", "npu"), default="cpu", help="where the features are computed")
    a.add_argument("--json", action="store_true", help="print the set as JSON")


def run(args: argparse.Namespace, out: TextIO) -> int:
    updated = add_example(args.set, args.action, args.clip, args.start, args.end, model=args.model,
                          precision=args.precision, device=args.device)
    if args.json:
        out.write(json.dumps(updated.to_json(), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    action = updated.action(" ".join(args.action.split()))
    count = len(action.examples) if action else 0
    out.write(f"{updated.name}: {args.action!r} has {count} example{'s' if count != 1 else ''} "
              f"({len(updated.actions)} actions, {updated.example_count} examples in all).\n")
    return EXIT_OK
