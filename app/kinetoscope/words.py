"""Numbers and model states as people read them, the same in the window and on the command line
(no Qt here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine imports this module: its types are only named here
    from kinetoscope.engine.modelfiles.download import DownloadProgress, PartialDownload
    from kinetoscope.engine.modelfiles.model_library import ModelRow


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
    """Bytes as people read them: 640 kB, 120.4 MB, 1.2 GB."""
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def download_text(p: DownloadProgress) -> str:
    """"41% · 49.2 of 120.0 MB · 3.2 MB/s · 0:22 left" (parts dropped when unknown)."""
    parts = [f"{p.percent}%" if p.percent is not None else size_text(p.done)]
    if p.total:
        parts.append(f"{size_text(p.done).removesuffix(' MB')} of {size_text(p.total)}")
    if p.speed_bps > 0:
        parts.append(f"{size_text(p.speed_bps)}/s")
    if p.eta_s is not None:
        parts.append(f"{clock(p.eta_s)} left")
    return " · ".join(parts)


def elsewhere_text(partial: PartialDownload | None) -> str:
    """A model another process is downloading, as far as its part file shows."""
    pct = partial.percent if partial else None
    return "Downloading in another Kinetoscope process" + (f" · {pct}%" if pct is not None else "")


def model_status(row: ModelRow, *, elsewhere: bool | None = None) -> str:
    """A model's state as the Models window and `kinetoscope models list` say it: "Paused at 41%";
    `elsewhere` (by default the row's own finding): another process is downloading it."""
    from kinetoscope.engine.modelfiles.model_library import Status

    if row.downloading_elsewhere if elsewhere is None else elsewhere:
        return elsewhere_text(row.partial)
    if row.status is Status.PARTIAL and row.partial:
        pct = row.partial.percent
        return f"Paused at {pct}%" if pct is not None else "Paused"
    if row.status is Status.BROKEN:
        return "Broken: " + "; ".join(row.problems[:2])
    if row.status is Status.UPDATE:
        return f"Update available ({row.installed_release} → {row.entry.release if row.entry else '?'})"
    if row.status is Status.BUNDLED:
        return "Installed (bundled)"
    return row.status.value.capitalize()


def model_size(row: ModelRow) -> tuple[str, str]:
    """A model's size and where the figure comes from: on disk, else the catalog's figure, else the
    download's total once one has started, else an estimate from the parameter count, else "?"."""
    entry, partial = row.entry, row.partial
    if row.disk_bytes:
        return size_text(row.disk_bytes), "On this disk"
    if entry is not None and entry.approx_size_mb:
        return f"~{entry.approx_size_mb:g} MB", "The download's approximate size, from the catalog"
    if partial is not None and partial.total:
        return size_text(partial.total), "The download's size, from the server"
    if entry is not None and entry.estimated_size_mb():
        return (f"≈{entry.estimated_size_mb():g} MB",
                f"Estimated from the model's {entry.params_m:g} M parameters (4 bytes each in float, 1 quantized); "
                "the exact size is shown once the download starts.")
    return "?", "AI Hub's catalog does not give this file's size; it is shown once the download starts."
