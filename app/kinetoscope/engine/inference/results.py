"""Values a classification produces: per-view and per-clip predictions, timings, device report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kinetoscope.engine.recipe import InputRecipe

if TYPE_CHECKING:
    from kinetoscope.engine.modelfiles.bundle import ModelBundle


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int
    prob: float

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "index": self.index, "prob": round(self.prob, 6)}


def top_k(probs: np.ndarray, labels: tuple[str, ...], k: int = 5) -> tuple[Prediction, ...]:
    """The k most probable classes, most probable first (ties keep class order)."""
    order = np.argsort(-probs, kind="stable")[:k]
    return tuple(Prediction(labels[i], int(i), float(probs[i])) for i in order)


@dataclass(frozen=True)
class DeviceReport:
    """What ran the graph. `used` is the truth, whatever was requested."""

    requested: str              # "cpu" | "npu"
    used: str                   # "cpu" | "npu"
    label: str                  # for people: "CPU", "NPU", "NPU (HTP simulator)"
    provider: str               # onnxruntime execution provider that ran most of the graph
    simulated: bool             # True on the x86 HTP simulator
    fallback_nodes: tuple[str, ...] = ()   # nodes that ran on the CPU although the NPU was asked for
    total_nodes: int = 0
    note: str = ""              # why the requested device was not (wholly) used

    def summary(self) -> str:
        """One line for a status bar or a terminal."""
        text = f"Ran on {self.label}"
        if self.fallback_nodes:
            text += f"; {len(self.fallback_nodes)} of {self.total_nodes} nodes fell back to the CPU"
        if self.note:
            text += f" ({self.note})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested, "used": self.used, "label": self.label,
            "provider": self.provider, "simulated": self.simulated,
            "fallback_nodes": list(self.fallback_nodes), "total_nodes": self.total_nodes,
            "note": self.note,
        }


@dataclass(frozen=True)
class Timings:
    load_ms: float = 0.0
    decode_ms: float = 0.0
    preprocess_ms: float = 0.0
    inference_ms: float = 0.0
    total_ms: float = 0.0

    @classmethod
    def of_run(cls, load_ms: float, started: float, decode_s: float, preprocess_s: float,
               inference_s: float) -> Timings:
        """A run's timings from its per-stage sums in seconds; the total counts the model load and
        the time since `started` (a `time.perf_counter()` reading)."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        return cls(load_ms=load_ms, decode_ms=decode_s * 1000, preprocess_ms=preprocess_s * 1000,
                   inference_ms=inference_s * 1000, total_ms=load_ms + elapsed_ms)

    def to_json(self) -> dict[str, float]:
        return {"load": round(self.load_ms, 2), "decode": round(self.decode_ms, 2),
                "preprocess": round(self.preprocess_ms, 2), "inference": round(self.inference_ms, 2),
                "total": round(self.total_ms, 2)}


@dataclass(frozen=True)
class ViewResult:
    """One temporal view: which frames the model saw, and what it said about them."""

    index: int
    start_s: float
    end_s: float
    frame_times_s: tuple[float, ...]
    source_indices: tuple[int, ...]
    probs: np.ndarray = field(repr=False)
    top5: tuple[Prediction, ...]
    inference_ms: float
    crops: np.ndarray | None = field(default=None, repr=False)  # uint8 [16,112,112,3]: what the model saw
    # Which temporal view these frames are, and which spatial crop of it ("centre" when the recipe
    # has one): with 3 crops, views 0-2 are temporal view 0's left, centre and right crops.
    temporal_index: int | None = None
    crop: str = "centre"
    # Which of `frame_times_s` a two-pathway model's slow pathway took (empty for one input).
    slow_frames: tuple[int, ...] = ()

    @property
    def temporal(self) -> int:
        """The temporal view this result belongs to (its `index` when the recipe has one crop)."""
        return self.index if self.temporal_index is None else self.temporal_index

    def to_json(self) -> dict[str, Any]:
        spatial: dict[str, Any] = ({"temporal_index": self.temporal, "crop": self.crop} if self.temporal_index is not None else {})
        if self.slow_frames:
            spatial["slow_frames"] = list(self.slow_frames)
        return {
            "index": self.index, **spatial, "start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4),
            "frame_times_s": [round(t, 4) for t in self.frame_times_s],
            "source_indices": list(self.source_indices),
            "top5": [p.to_json() for p in self.top5],
            "inference_ms": round(self.inference_ms, 2),
        }


@dataclass(frozen=True)
class ModelRef:
    id: str
    name: str
    precision: str
    path: Path
    recipe: InputRecipe | None = None  # how the clip was turned into this model's input
    labels_note: str = ""              # set when the model names no classes ("class N" shown)
    rejection_label: str = ""          # a taught model's "none of the taught actions"

    @classmethod
    def of(cls, bundle: ModelBundle, recipe: InputRecipe) -> ModelRef:
        """The reference a result keeps to `bundle`, run with `recipe`."""
        return cls(bundle.model_id, bundle.name, bundle.precision, bundle.source, recipe, bundle.labels_note,
                   bundle.rejection_label)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "precision": self.precision, "path": str(self.path),
                "input_recipe": self.recipe.to_json() if self.recipe else None, "labels_note": self.labels_note}


@dataclass(frozen=True)
class ClipResult:
    clip: Path
    model: ModelRef
    device: DeviceReport
    views: tuple[ViewResult, ...]
    probs: np.ndarray = field(repr=False)   # mean of the views' probabilities
    top5: tuple[Prediction, ...]
    timings: Timings
    peak_rss_mb: float
    clip_duration_s: float

    @property
    def rejected(self) -> bool:
        """A taught model's verdict "none of the taught actions" (always False for other models)."""
        return bool(self.model.rejection_label) and self.top5[0].label == self.model.rejection_label

    def to_json(self) -> dict[str, Any]:
        taught = {"rejected": self.rejected} if self.model.rejection_label else {}
        return {
            "clip": str(self.clip),
            "clip_duration_s": round(self.clip_duration_s, 4),
            "top5": [p.to_json() for p in self.top5],
            **taught,
            "views": [v.to_json() for v in self.views],
            "device": self.device.to_json(),
            "model": self.model.to_json(),
            "timings_ms": self.timings.to_json(),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


@dataclass(frozen=True)
class ClipFailure:
    """A clip of a batch that could not be classified, and why (one sentence for people)."""

    clip: Path
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"clip": str(self.clip), "error": self.error}
