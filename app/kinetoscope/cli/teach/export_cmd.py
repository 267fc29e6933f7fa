"""`kinetoscope teach export SET PATH`: the trained model as a zip for another machine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_OK
from kinetoscope.engine.teach.teaching import export_model


def add_parser(commands: argparse._SubParsersAction) -> None:
    a = commands.add_parser("export", help="write a trained set's model as a zip (import it elsewhere)")
    a.add_argument("set", metavar="SET")
    a.add_argument("path", metavar="PATH", help="a .zip file, or a folder to put <SET>-onnx-<precision>.zip in")
    a.add_argument("--precision", choices=("float", "w8a8"))


def run(args: argparse.Namespace, out: TextIO) -> int:
    written = export_model(args.set, Path(args.path), args.precision)
    out.write(f"Exported {args.set} to {written}.\n")
    return EXIT_OK
