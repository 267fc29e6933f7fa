"""Numbers as people read them, the same in the window and on the command line (no Qt here)."""

from __future__ import annotations


def percent(prob: float) -> str:
    """A probability as people read it: one decimal, '<0.1%' rather than a misleading 0.0%."""
    p = 100.0 * prob
    if 0 < p < 0.05:
        return "<0.1%"
    return f"{p:.1f}%"


def span_text(start_s: float, end_s: float) -> str:
    """A stretch of a clip, as every view's span is written: "0.00–1.28 s"."""
    return f"{start_s:.2f}–{end_s:.2f} s"


def clock(seconds: float, *, tenths: bool = False) -> str:
    """Seconds as a clock: "1:05", "1:02:03"; with `tenths`, "1:05.2" (rounded to the tenth)."""
    t = max(0.0, seconds)
    if tenths:
        whole, tenth = divmod(round(t * 10), 10)
    else:
        whole, tenth = int(t + 1e-6), 0
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}.{tenth}" if tenths else text


def size_text(n: float) -> str:
    """Bytes as people read them: 0.6 MB, 120.4 MB, 1.2 GB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"
