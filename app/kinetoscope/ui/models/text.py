"""What only the model manager writes: a failed download's note and the published figures, as text
(sizes, progress and states are in `kinetoscope.words`, shared with `kinetoscope models`)."""

from __future__ import annotations

from kinetoscope.engine.modelfiles.catalog import MEASURES_EXPLAINED, NOT_PUBLISHED, accuracies_text
from kinetoscope.engine.modelfiles.model_library import ModelRow

ELSEWHERE_TIP = ("Another Kinetoscope process (a second window or `kinetoscope models download`) is "
                 "downloading this model. This row becomes available again by itself when it has finished.")


def failure_text(message: str, resumable: bool) -> str:
    """A failed download as its row says it, with what to try."""
    then = "Resume to continue, or install" if resumable else "Try again, or install"
    return f"{message} {then} a zip you already have:"


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
