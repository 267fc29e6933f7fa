"""`kinetoscope teach remove SET [ACTION [--example N]]`: remove a set, an action or one example."""

from __future__ import annotations

import argparse
from typing import TextIO

from kinetoscope.cli.arg_types import number_in
from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.teaching import remove


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("remove", help="remove a whole set (and its trained model), an action, or an example")
    a.add_argument("set", metavar="SET")
    a.add_argument("action", metavar="ACTION", nargs="?", help="remove only this action")
    a.add_argument("--example", type=number_in(int, 1, 100000, "a whole number"),
                   help="remove only this example of ACTION (numbered from 1 as `teach show` lists them)")


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.example is not None and args.action is None:
        from kinetoscope.engine.errors import BadInput

        raise BadInput("--example needs the ACTION it belongs to.")
    remove(args.set, args.action, args.example)
    what = args.set if args.action is None else f"{args.action!r} from {args.set}" if args.example is None \
        else f"example {args.example} of {args.action!r} from {args.set}"
    out.write(f"Removed {what}.\n")
    return EXIT_OK
