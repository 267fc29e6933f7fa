"""What the model manager writes: sizes, download progress and each row's status, as text."""

from __future__ import annotations

from kinetoscope.engine.modelfiles.catalog import MEASURES_EXPLAINED, NOT_PUBLISHED, accuracies_text
from kinetoscope.engine.modelfiles.download import DownloadProgress, PartialDownload
from kinetoscope.engine.modelfiles.model_library import ModelRow, Status
from kinetoscope import words

ELSEWHERE_TIP = ("Another Kinetoscope process (a second window or `kinetoscope models download`) is "
                 "downloading this model. This row becomes available again by itself when it has finished.")


def format_bytes(n: float) -> str:
    return words.size_text(n) if n >= 1e6 else f"{n / 1e3:.0f} kB"


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
    """The Size column and its tooltip: the size on disk, else the catalog's figure, else the
    download's total once a download has started, else an estimate from the parameter count, else a
    "?" that says when it will be known."""
    entry, partial = row.entry, row.partial
    if row.disk_bytes:
        return format_bytes(row.disk_bytes), "On this disk"
    if entry is not None and entry.approx_size_mb:
        return f"~{entry.approx_size_mb:g} MB", "The download's approximate size, from the catalog"
    if partial is not None and partial.total:
        return format_bytes(partial.total), "The download's size, from the server"
    if entry is not None and entry.estimated_size_mb():
        return (f"≈{entry.estimated_size_mb():g} MB",
                f"Estimated from the model's {entry.params_m:g} M parameters (4 bytes each in float, 1 quantized); "
                "the exact size is shown once the download starts.")
    return "?", "AI Hub's catalog does not give this file's size; it is shown once the download starts."


def failure_text(message: str, resumable: bool) -> str:
    """A failed download as its row says it, with what to try."""
    then = "Resume to continue, or install" if resumable else "Try again, or install"
    return f"{message} {then} a zip you already have:"


def elsewhere_text(partial: PartialDownload | None) -> str:
    pct = partial.percent if partial else None
    return "Downloading in another Kinetoscope process" + (f" · {pct}%" if pct is not None else "")


def published_text(row: ModelRow) -> str:
    """"4.2–4.5 ms · top-1 75.0 % video, 57.5 % clip": AI Hub's published NPU latency and the published
    Kinetics-400 top-1, each part saying "not published" where nothing is."""
    latency = row.entry.latency_text() if row.entry else ""
    if not latency and not row.accuracies:
        return NOT_PUBLISHED.capitalize()
    return (f"{latency or 'Latency ' + NOT_PUBLISHED} · "
            + (f"top-1 {accuracies_text(row.accuracies)}" if row.accuracies else f"accuracy {NOT_PUBLISHED}"))


def published_tip(row: ModelRow) -> str:
    """Where the figures come from, and what a clip and a video accuracy are."""
    latency = ("NPU latency: Qualcomm AI Hub, Snapdragon X Elite, ONNX Runtime." if row.entry and row.entry.latency_text()
               else "NPU latency: none is published for this model.")
    if not row.accuracies:
        return f"{latency}\nTop-1: no accuracy is published for this model."
    lines = "\n".join(f"Top-1 {a.sentence()}" for a in row.accuracies)
    return f"{latency}\n{lines}\n{MEASURES_EXPLAINED}"


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
