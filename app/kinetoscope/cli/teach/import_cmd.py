"""`kinetoscope teach import ZIP`: install a taught model exported elsewhere (and its set, if new here)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.teaching import import_model_zip


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("import", help="install a taught model that `teach export` wrote")
    a.add_argument("path", metavar="ZIP")


def run(args: argparse.Namespace, out: TextIO) -> int:
    manifest = import_model_zip(Path(args.path))
    out.write(f"Imported {manifest.model_id} ({manifest.precision}); use it with "
              f"`kinetoscope classify CLIP --model {manifest.model_id}`.\n")
    return EXIT_OK
