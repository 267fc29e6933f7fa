"""`kinetoscope gui`: open the window, optionally on some clips or folders."""

from __future__ import annotations

import argparse
from typing import TextIO


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `gui` on the top-level subparsers."""
    p = sub.add_parser("gui", help="open the window, optionally on some clips or folders")
    p.add_argument("clips", nargs="*", metavar="CLIP", help="video files or folders to classify")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    # Qt is imported here, not at the top, so the other commands never load it.
    from kinetoscope.ui.app import run_app

    return run_app(args.clips)
