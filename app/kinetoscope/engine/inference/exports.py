"""Results people can keep: a scan as JSON, CSV or subtitles, a batch of clips as JSON or CSV.

Every writer is atomic (see `atomic_text_file`): the file appears whole or not at all, so a
failure or a cancel never leaves half a table behind.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kinetoscope.engine.files import atomic_text_file
from kinetoscope.engine.inference.results import ClipFailure, ClipResult, Prediction
from kinetoscope.engine.inference.scan import ScanResult

TOP_K = 5


def write_scan_json(result: ScanResult, path: str | Path) -> Path:
    """The whole scan (`ScanResult.to_json`) as one JSON object."""
    return _write_json(result.to_json(), path)


def write_scan_csv(result: ScanResult, path: str | Path) -> Path:
    """One row per window: start_s, end_s, then top1_label, top1_prob … top5_label, top5_prob."""
    with atomic_text_file(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["start_s", "end_s", *_top_header()])
        for w in result.windows:
            writer.writerow([f"{w.start_s:.3f}", f"{w.end_s:.3f}", *_top_cells(w.top5)])
    return Path(path)


def write_srt(result: ScanResult, path: str | Path) -> Path:
    """One subtitle per segment ("label (87 %)"), which a video player shows over the clip."""
    with atomic_text_file(path, newline="") as out:
        for n, s in enumerate(result.segments, 1):
            # SRT wants CRLF line ends and a blank line after each cue.
            out.write(f"{n}\r\n{srt_time(s.start_s)} --> {srt_time(s.end_s)}\r\n"
                      f"{s.label} ({s.prob * 100:.0f} %)\r\n\r\n")
    return Path(path)


def srt_time(seconds: float) -> str:
    """Seconds as SRT's HH:MM:SS,mmm, rounded to the millisecond."""
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_results_json(results: Sequence[ClipResult | ClipFailure], path: str | Path) -> Path:
    """A JSON list: each clip's `ClipResult.to_json()`, or {"clip", "error"} for one that failed."""
    return _write_json([r.to_json() for r in results], path)


def results_csv_header() -> list[str]:
    return ["clip", *_top_header(), "device", "model", "precision", "error"]


def results_csv_row(r: ClipResult | ClipFailure) -> list[str]:
    """One clip's row under `results_csv_header()`: its top-5, or empty cells and the error."""
    if isinstance(r, ClipFailure):
        return [str(r.clip), *[""] * (2 * TOP_K), "", "", "", r.error]
    return [str(r.clip), *_top_cells(r.top5), r.device.label, r.model.id, r.model.precision, ""]


def write_results_csv(results: Sequence[ClipResult | ClipFailure], path: str | Path) -> Path:
    """One row per clip: clip, top1_label, top1_prob … top5, device, model, precision, error."""
    return write_csv_rows([results_csv_row(r) for r in results], path)


def write_csv_rows(rows: Sequence[list[str]], path: str | Path) -> Path:
    """Rows made by `results_csv_row`, under its header (a batch keeps only these per clip)."""
    with atomic_text_file(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(results_csv_header())
        writer.writerows(rows)
    return Path(path)


def _write_json(data: Any, path: str | Path) -> Path:
    with atomic_text_file(path) as out:
        json.dump(data, out, indent=1, ensure_ascii=False)
        out.write("\n")
    return Path(path)


def _top_header() -> list[str]:
    return [f"top{k}_{what}" for k in range(1, TOP_K + 1) for what in ("label", "prob")]


def _top_cells(top: Sequence[Prediction]) -> list[str]:
    cells: list[str] = []
    for k in range(TOP_K):
        cells += [top[k].label, f"{top[k].prob:.6f}"] if k < len(top) else ["", ""]
    return cells
