"""`kinetoscope devices`: the devices that can run models here, and why not."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.engine.inference.devices import device_statuses


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `devices` on the top-level subparsers."""
    p = sub.add_parser("devices", help="list the devices that can run models here, and why not")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    statuses = device_statuses()
    if args.json:
        out.write(json.dumps({"devices": [s.to_json() for s in statuses]}, indent=2) + "\n")
        return 0
    for s in statuses:
        state = "available" if s.available else f"unavailable: {s.reason}"
        out.write(f"{s.label:<22} {s.provider:<22} {state}\n")
        for key, value in s.details:
            out.write(f"    {key}: {value}\n")
    return 0
