"""The base model's own top-5 beside a taught model's answer ("what Kinetics would call it").

A taught model's graph ends in its own classifier; the base model's labels (Kinetics' 400 for
I3D) are not in it. So asking for them runs the base model on the same views once more: about
twice the time, only when asked for (`classify --base-top5`).
"""

from __future__ import annotations

import json
from pathlib import Path

from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.results import ClipResult
from kinetoscope.engine.media.probe import VideoInfo
from kinetoscope.engine.modelfiles.bundle import ModelBundle
from kinetoscope.engine.teach.action_set import BaseModel


def taught_base(bundle: ModelBundle) -> BaseModel | None:
    """The model `bundle` was taught on (its metadata.json's "taught" record), None for any other model."""
    meta_path = bundle.onnx_path.parent / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        base = meta["kinetoscope"]["taught"]["base_model"]
        return BaseModel(str(base["id"]), str(base["precision"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def base_result(clip: str | Path, taught: ModelBundle, device: str, *, views: int | None = None,
                info: VideoInfo | None = None) -> ClipResult:
    """The base model's result for `clip`, classified as `taught` classifies it (same views, device)."""
    base = taught_base(taught)
    if base is None:
        raise BadInput(f"{taught.name} is not a taught model, so it has no base model's top-5 to show.")
    classifier = VideoClassifier.open(base.model_id, device, precision=base.precision)
    return classifier.classify(clip, views=views, info=info)
