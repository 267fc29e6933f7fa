"""`kinetoscope scan`: a whole clip, window by window, as labelled time spans, text or exported."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from kinetoscope import words
from kinetoscope.cli.arg_types import add_model_args, number_in
from kinetoscope.cli.progress import ProgressLine
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.exports import write_scan_csv, write_srt
from kinetoscope.engine.inference.scan import SCAN_CPU, ScanProgress, ScanResult, SegmentRule
from kinetoscope.engine.media.video import probe
from kinetoscope.engine.modelfiles.model_store import default_model_id

_DEFAULT_RULE = SegmentRule()


# Spacing of windows, the segment threshold, and counts of windows.
_seconds = number_in(float, 0.01, 3600, "a number of seconds", " seconds")
_fraction = number_in(float, 0.0, 1.0, "a number")
_windows = number_in(int, 1, 1000, "a whole number")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `scan` on the top-level subparsers."""
    p = sub.add_parser("scan", help="scan a whole clip and list when each action happens",
                       description="Slide the model's window over the whole clip and merge consecutive windows "
                                   "into labelled spans (segments).")
    p.add_argument("clip", help="a video file")
    add_model_args(p)
    p.add_argument("--every", type=_seconds, metavar="SECONDS",
                   help="start a window every SECONDS (default: back to back, one window length)")
    p.add_argument("--threshold", type=_fraction, default=_DEFAULT_RULE.threshold,
                   help=f"lowest mean probability a segment needs (default {_DEFAULT_RULE.threshold:g})")
    p.add_argument("--smoothing", type=_windows, default=_DEFAULT_RULE.smoothing,
                   help=f"windows averaged before choosing each one's action (default {_DEFAULT_RULE.smoothing})")
    p.add_argument("--min-windows", type=_windows, default=_DEFAULT_RULE.min_windows,
                   help=f"shortest segment, in windows (default {_DEFAULT_RULE.min_windows})")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object: windows, segments, model, device, timings")
    out.add_argument("--csv", metavar="PATH", help="write one row per window (start, end, top-5) to PATH")
    out.add_argument("--srt", metavar="PATH", help="write the segments as subtitles to PATH")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    info = probe(args.clip)  # a bad clip fails fast, before a slow model load
    rule = SegmentRule(threshold=args.threshold, smoothing=args.smoothing, min_windows=args.min_windows)
    classifier = VideoClassifier.open(args.model or default_model_id(), args.device, precision=args.precision,
                                      cpu=SCAN_CPU)
    progress = ProgressLine(sys.stderr)
    try:
        result = classifier.scan(args.clip, every_s=args.every, rule=rule, info=info,
                                 on_progress=lambda p: progress.show(_progress_text(p)))
    finally:
        progress.close()
    # Files are written only once the scan is complete, each atomically: Ctrl+C leaves none.
    if args.json:
        out.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif args.csv:
        write_scan_csv(result, args.csv)
        out.write(f"Wrote {len(result.windows)} windows to {args.csv}\n")
    elif args.srt:
        write_srt(result, args.srt)
        out.write(f"Wrote {len(result.segments)} subtitles (one per segment) to {args.srt}\n")
    else:
        out.write(format_scan_result(result) + "\n")
    return 0


def _progress_text(p: ScanProgress) -> str:
    return f"Scanning: window {min(p.windows_done + 1, p.windows_total)} of {p.windows_total} ({clock(p.position_s)})"


def clock(seconds: float) -> str:
    """A time in the clip as people read it: 1:05.2, or 1:02:05.2 past an hour."""
    return words.clock(seconds, tenths=True)


def format_scan_result(result: ScanResult) -> str:
    """The segments, one a line, under a short header, and a one-line summary."""
    rule = result.rule
    windows = result.windows
    length = windows[0].end_s - windows[0].start_s if windows else 0.0
    lines = [
        f"Clip     {result.clip}  ({clock(result.clip_duration_s)})",
        f"Model    {result.model.name}  ({result.model.id}, {result.model.precision})",
        f"Device   {result.device.summary()}",
        f"Windows  {len(windows)} of {length:.2f} s, one every {result.every_s:.2f} s",
        f"Rule     mean probability ≥ {rule.threshold:g}, smoothing over {rule.smoothing} windows, "
        f"at least {rule.min_windows} window{'s' if rule.min_windows != 1 else ''} a segment",
        "",
        "Segments" if result.segments else "Segments  none above the threshold (try a lower --threshold)",
    ]
    width = max((len(s.label) for s in result.segments), default=0)
    for s in result.segments:
        lines.append(f"  {clock(s.start_s):>9} – {clock(s.end_s):<9}  {s.label:<{width}}  {s.prob * 100:5.1f} %")
    t = result.timings
    covered = sum(s.end_s - s.start_s for s in result.segments)
    count = len(result.segments)
    lines += ["", f"{count} segment{'' if count == 1 else 's'} covering {clock(covered)} of {clock(result.clip_duration_s)}; "
              f"{len(windows)} windows in {t.total_ms / 1000:.1f} s (decode {t.decode_ms / 1000:.1f} s, inference "
              f"{t.inference_ms / 1000:.1f} s, model load {t.load_ms / 1000:.1f} s), peak RSS {result.peak_rss_mb:.0f} MB"]
    return "\n".join(lines)
