"""`kinetoscope classify` over many clips and folders: one model session, a line or row per clip.

A clip that cannot be read is reported on stderr and in the output (as {"clip", "error"}), and the
others go on; the exit code says whether any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from kinetoscope.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from kinetoscope.cli.progress import ProgressLine
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.exports import results_csv_row, write_csv_rows
from kinetoscope.engine.inference.results import ClipFailure, ClipResult
from kinetoscope.engine.media.video import probe
from kinetoscope.engine.media.video_files import clips_from
from kinetoscope.engine.modelfiles.model_store import default_model_id


def is_batch(args: argparse.Namespace) -> bool:
    """Whether `classify` was asked for more than today's one clip, one result."""
    return len(args.clips) > 1 or bool(args.jsonl or args.csv) or Path(args.clips[0]).is_dir()


def run_batch(args: argparse.Namespace, out: TextIO) -> int:
    clips = clips_from(args.clips)
    if not clips:
        raise BadInput(f"There are no video files in {', '.join(args.clips)}.")
    classifier = VideoClassifier.open(args.model or default_model_id(), args.device, precision=args.precision)
    progress = ProgressLine(sys.stderr)
    # Only what the output still needs is kept per clip: the whole results for --json (one list at
    # the end), a CSV row for --csv; --jsonl and text keep nothing, so memory stays flat over any
    # number of clips (a ClipResult holds every view's probabilities and frame times).
    rows: list[ClipResult | ClipFailure] = []
    csv_rows: list[list[str]] = []
    failed = 0
    for n, clip in enumerate(clips):
        progress.show(f"[{n + 1}/{len(clips)}] {clip.name}")
        row = _classify_one(classifier, clip, args.views, load_counted=n > 0)
        if args.json:
            rows.append(row)
        if args.csv:
            csv_rows.append(results_csv_row(row))
        if isinstance(row, ClipFailure):
            failed += 1
            progress.close()
            print(f"kinetoscope: {clip}: {row.error}", file=sys.stderr)
        if args.jsonl:
            out.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            out.flush()  # a line per clip as it completes, for whoever reads the pipe
        elif not args.json and not args.csv:
            out.write(_text_line(row) + "\n")
    progress.close()
    if args.json:
        out.write(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False) + "\n")
    if args.csv:
        write_csv_rows(csv_rows, args.csv)  # only once all are done, atomically: Ctrl+C leaves no file
        print(f"Wrote {len(csv_rows)} clips to {args.csv}" + (f" ({failed} failed)" if failed else ""),
              file=sys.stderr if args.jsonl else out)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _classify_one(classifier: VideoClassifier, clip: Path, views: int | None, *,
                  load_counted: bool) -> ClipResult | ClipFailure:
    try:
        result = classifier.classify(clip, views=views, info=probe(clip))
    except BadInput as exc:
        return ClipFailure(clip, exc.message)
    if load_counted:
        # The one model load is in the first clip's timings; later clips did not pay for it.
        t = result.timings
        result = replace(result, timings=replace(t, load_ms=0.0, total_ms=t.total_ms - t.load_ms))
    return result


def _text_line(row: ClipResult | ClipFailure) -> str:
    if isinstance(row, ClipFailure):
        return f"{row.clip}\tfailed: {row.error}"
    best = row.top5[0]
    return f"{row.clip}\t{best.label}\t{best.prob * 100:.1f} %"
