"""What the model manager writes: sizes, download progress and each row's status, as text."""

from __future__ import annotations

from kinetoscope.engine.modelfiles.catalog import NO_FIGURE, CatalogEntry
from kinetoscope.engine.modelfiles.download import DownloadProgress, PartialDownload
from kinetoscope.engine.modelfiles.model_library import ModelRow, Status

ELSEWHERE_TIP = ("Another Kinetoscope process (a second window or `kinetoscope models download`) is "
                 "downloading this model. This row becomes available again by itself when it has finished.")


def format_bytes(n: float) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.0f} kB"


def format_progress(p: DownloadProgress) -> str:
    """"41% · 49.2 of 120.0 MB · 3.2 MB/s · 0:22 left" (parts dropped when unknown)."""
    parts = [f"{p.percent}%" if p.percent is not None else format_bytes(p.done)]
    if p.total:
        parts.append(f"{format_bytes(p.done).removesuffix(' MB')} of {format_bytes(p.total)}")
    if p.speed_bps > 0:
        parts.append(f"{format_bytes(p.speed_bps)}/s")
    if p.eta_s is not None:
        eta = int(p.eta_s)
        parts.append(f"{eta // 60}:{eta % 60:02d} left")
    return " · ".join(parts)


def size_text(row: ModelRow) -> tuple[str, str]:
    """The Size column and its tooltip: the size on disk, else the catalog's estimate, else the
    download's total once a download has started, else a "?" that says when it will be known."""
    entry, partial = row.entry, row.partial
    if row.disk_bytes:
        return format_bytes(row.disk_bytes), "On this disk"
    if entry is not None and entry.approx_size_mb:
        return f"~{entry.approx_size_mb:g} MB", "The download's approximate size, from the catalog"
    if partial is not None and partial.total:
        return format_bytes(partial.total), "The download's size, from the server"
    return "?", "AI Hub's catalog does not give this file's size; it is shown once the download starts."


def failure_text(message: str, resumable: bool) -> str:
    """A failed download as its row says it, with what to try."""
    then = "Resume to continue, or install" if resumable else "Try again, or install"
    return f"{message} {then} a zip you already have:"


def elsewhere_text(partial: PartialDownload | None) -> str:
    pct = partial.percent if partial else None
    return "Downloading in another Kinetoscope process" + (f" · {pct}%" if pct is not None else "")


def published_text(entry: CatalogEntry | None) -> str:
    """"4.2–4.5 ms · 75.0 % top-1": AI Hub's published NPU latency and Kinetics-400 top-1, "–" where
    nothing is published."""
    if entry is None:
        return ""
    return f"{entry.latency_text() or NO_FIGURE} · {entry.accuracy_text()} top-1"


def published_tip(entry: CatalogEntry | None) -> str:
    """Where the figures come from."""
    if entry is None:
        return ""
    accuracy = (f"Top-1: {entry.accuracy.text()} on {entry.accuracy.dataset}, {entry.accuracy.source}"
                + (f" ({entry.accuracy.note})" if entry.accuracy.note else "") + ".") if entry.accuracy \
        else "Top-1: no accuracy is published for this model."
    return f"NPU latency: Qualcomm AI Hub, Snapdragon X Elite, ONNX Runtime.\n{accuracy}"


def status_text(row: ModelRow) -> str:
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
