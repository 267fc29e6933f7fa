"""`kinetoscope teach …`: teach your own actions from the command line, one module per command.

Every command that prints a result takes `--json`; the fields are listed in the README's "Teach
it your own actions" chapter.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from kinetoscope.cli.teach import add_cmd, export_cmd, import_cmd, list_cmd, remove_cmd, show_cmd, train_cmd

COMMANDS = {"add": add_cmd, "train": train_cmd, "list": list_cmd, "show": show_cmd, "remove": remove_cmd,
            "export": export_cmd, "import": import_cmd}


def add_teach_parser(sub: argparse._SubParsersAction) -> None:
    """Register `teach` and its commands on the top-level subparsers."""
    p = sub.add_parser("teach", help="teach your own actions from a few clips; a trained set is a model",
                       description="Teach Kinetoscope your own actions: add example clips (or parts of them) to "
                                   "a named set, train it, then use the set's name as a model.")
    commands = p.add_subparsers(dest="teach_command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        module.add_parser(commands)


def run(args: argparse.Namespace, out: TextIO) -> int:
    return COMMANDS[args.teach_command].run(args, out)
