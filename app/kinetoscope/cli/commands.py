"""The CLI's commands; each one a few lines over the engine."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.cli import batch, bench_cmd, library_cmd, models_cmd, scan_cmd, teach
from kinetoscope.cli.output import format_clip_result
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.devices import device_statuses
from kinetoscope.engine.modelfiles.model_store import default_model_id
from kinetoscope.engine.media.video import probe


def run(args: argparse.Namespace, out: TextIO) -> int:
    handler = {"classify": classify, "devices": devices, "gui": gui, "models": models_cmd.run,
               "bench": bench_cmd.run, "scan": scan_cmd.run, "library": library_cmd.run,
               "teach": teach.run}[args.command]
    return handler(args, out)


def classify(args: argparse.Namespace, out: TextIO) -> int:
    if batch.is_batch(args):
        return batch.run_batch(args, out)
    clip = args.clips[0]
    info = probe(clip)  # a bad clip fails fast, before a slow model load
    classifier = VideoClassifier.open(args.model or default_model_id(), args.device, precision=args.precision)
    result = classifier.classify(clip, views=args.views, info=info)
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(format_clip_result(result) + "\n")
    return 0


def devices(args: argparse.Namespace, out: TextIO) -> int:
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


def gui(args: argparse.Namespace, out: TextIO) -> int:
    # Qt is imported here, not at the top, so the other commands never load it.
    from kinetoscope.ui.app import run_app

    return run_app(args.clips)
