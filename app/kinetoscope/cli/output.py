"""Keeping stdout for results only, and formatting results for a terminal."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from typing import TextIO

from kinetoscope.engine.inference.results import ClipResult


@contextlib.contextmanager
def stdout_for_results() -> Iterator[TextIO]:
    """Yield a stream to the real stdout while native libraries' fd-1 chatter goes to stderr.

    The QNN HTP backend prints to the C-level stdout; with `--json` that would corrupt the one
    JSON object scripts expect, so for the duration fd 1 points at stderr.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    stream = os.fdopen(os.dup(saved), "w", encoding="utf-8", closefd=True)
    try:
        yield stream
    finally:
        stream.flush()
        stream.close()
        sys.stdout.flush()
        # Native libraries' printf output may still sit in the C library's buffer (fully buffered
        # when stdout is a pipe); flush it while fd 1 still points at stderr.
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdio() -> None:
    try:
        libc = ctypes.CDLL("ucrtbase") if sys.platform == "win32" else ctypes.CDLL(None)
        libc.fflush(None)
    except (OSError, AttributeError):
        pass  # no C runtime to flush: nothing native wrote through it


def _bar(prob: float, width: int = 24) -> str:
    filled = prob * width
    full = int(filled)
    return "█" * full + ("▌" if filled - full >= 0.5 else "")


def format_base_top5(base: ClipResult) -> str:
    """The taught-on model's top-5, printed under a taught model's result."""
    lines = ["", f"Top 5 of the base model, {base.model.name} ({base.model.id}, {base.model.precision})"]
    lines += [f"  {rank}. {p.label:<32} {p.prob * 100:5.1f} %  {_bar(p.prob)}" for rank, p in enumerate(base.top5, 1)]
    return "\n".join(lines)


def format_clip_result(result: ClipResult) -> str:
    lines = [
        f"Clip     {result.clip}  ({result.clip_duration_s:.1f} s)",
        f"Model    {result.model.name}  ({result.model.id}, {result.model.precision})",
        f"Device   {result.device.summary()}",
        *([f"Input    {result.model.recipe.describe()}"] if result.model.recipe else []),
        *([f"Note     {result.model.labels_note}"] if result.model.labels_note else []),
        "",
        "Top 5",
    ]
    for rank, p in enumerate(result.top5, 1):
        lines.append(f"  {rank}. {p.label:<32} {p.prob * 100:5.1f} %  {_bar(p.prob)}")
    lines += ["", "Views"]
    # With several spatial crops per temporal view, each line names its crop.
    cropped = any(v.temporal_index is not None for v in result.views)
    for v in result.views:
        best = v.top5[0]
        crop = f"  {v.crop:<6}" if cropped else ""
        lines.append(f"  {v.start_s:6.2f}–{v.end_s:6.2f} s{crop}  {best.label:<32} {best.prob * 100:5.1f} %"
                     f"   {v.inference_ms:7.1f} ms")
    t = result.timings
    lines += ["", f"Timings  load {t.load_ms:.0f} ms · decode {t.decode_ms:.0f} ms · preprocess "
              f"{t.preprocess_ms:.0f} ms · inference {t.inference_ms:.0f} ms · total {t.total_ms:.0f} ms",
              f"Memory   peak RSS {result.peak_rss_mb:.0f} MB"]
    return "\n".join(lines)
