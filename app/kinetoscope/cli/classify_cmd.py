"""`kinetoscope classify`: classify clips and print the top-5 actions (many clips: `batch.py`)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from kinetoscope.cli import batch
from kinetoscope.cli.arg_types import add_model_args, number_in
from kinetoscope.cli.output import format_base_top5, format_clip_result
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.media.video import probe
from kinetoscope.engine.modelfiles.model_store import default_model_id
from kinetoscope.engine.recipe import MAX_VIEWS
from kinetoscope.engine.teach.base_top5 import base_result, taught_base


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `classify` on the top-level subparsers."""
    p = sub.add_parser("classify", help="classify clips and print the top-5 actions",
                       description="Classify one clip, or many clips and folders with one model session.")
    p.add_argument("clips", nargs="+", metavar="CLIP_OR_FOLDER",
                   help="video files, or folders whose video files are classified in name order")
    add_model_args(p)
    p.add_argument("--views", type=number_in(int, 1, MAX_VIEWS, "a whole number"),
                   help="temporal views (default: the model's recipe, 5 for AI Hub's)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print one JSON object instead of text (a list of them for several clips)")
    out.add_argument("--jsonl", action="store_true",
                     help='print one JSON object a line, per clip as it completes; a failed clip as {"clip", "error"}')
    p.add_argument("--csv", metavar="PATH", help="also write one row per clip (top-5, device, model, error) to PATH")
    p.add_argument("--base-top5", action="store_true",
                   help="with a taught model and one clip: also the top-5 of the model it was taught on "
                        "(Kinetics' labels for I3D; runs that model too)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    if batch.is_batch(args):
        if args.base_top5:
            raise BadInput("--base-top5 works on one clip at a time.")
        return batch.run_batch(args, out)
    clip = args.clips[0]
    info = probe(clip)  # a bad clip fails fast, before a slow model load
    classifier = VideoClassifier.open(args.model or default_model_id(), args.device, precision=args.precision)
    if args.base_top5 and taught_base(classifier.bundle) is None:
        raise BadInput(f"{classifier.bundle.name} is not a taught model; --base-top5 shows the top-5 of the "
                       "model a taught one was taught on.")
    result = classifier.classify(clip, views=args.views, info=info)
    base = base_result(clip, classifier.bundle, args.device, views=args.views, info=info) if args.base_top5 else None
    if args.json:
        data = result.to_json()
        if base is not None:
            data["base_top5"] = {"model": {"id": base.model.id, "precision": base.model.precision,
                                           "name": base.model.name},
                                 "top5": [p.to_json() for p in base.top5]}
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(format_clip_result(result) + "\n")
        if base is not None:
            out.write(format_base_top5(base) + "\n")
    return 0
