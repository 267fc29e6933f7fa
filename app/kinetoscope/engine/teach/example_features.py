"""Features of one example: the base model's pooled features for a few views of a clip's span,
followed by the views' four motion numbers (motion.py) when the model's input allows them.

The views are the model's own windows (its recipe's frames and sampling), evenly spread over the
span: several views per example are the augmentation (no horizontal flip, since direction can be
the action). A span shorter than one window is refused: the model would see frames from outside it.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import BadInput
from kinetoscope.engine.files import sha256_file
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.media.preprocess import center_crop, to_model_input
from kinetoscope.engine.media.probe import VideoInfo, probe
from kinetoscope.engine.media.scan_plan import ScanPlan, plan_scan
from kinetoscope.engine.media.video import VideoReader
from kinetoscope.engine.modelfiles.bundle import ModelBundle
from kinetoscope.engine.teach import motion
from kinetoscope.engine.teach.action_set import Example
from kinetoscope.engine.teach.feature_cache import FeatureCache, FeatureKey
from kinetoscope.engine.teach.probe import Block

VIEWS_PER_EXAMPLE = 3
_GRAPH_DIGESTS: dict[tuple[str, int, int], str] = {}


def graph_digest(path: Path) -> str:
    """SHA-256 of a graph file, remembered per (path, size, mtime) for the life of the process."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _GRAPH_DIGESTS:
        _GRAPH_DIGESTS[key] = sha256_file(path)
    return _GRAPH_DIGESTS[key]


def uses_motion(bundle: ModelBundle) -> bool:
    return motion.applies(bundle.recipe)


def feature_blocks(bundle: ModelBundle) -> tuple[Block, ...]:
    """How an example's feature vector is laid out: the model's pooled features, then the motion numbers."""
    assert bundle.features is not None
    pooled = Block(int(bundle.features.shape[-1]))
    return (pooled, Block(motion.MOTION_DIM, motion.SOFT_NORM, centred=False)) if uses_motion(bundle) else (pooled,)


def span_plan(info: VideoInfo, session: ModelSession, start_s: float | None, end_s: float | None,
              views: int = VIEWS_PER_EXAMPLE) -> ScanPlan:
    """The model's windows for `views` views evenly spread over [start_s, end_s] of the clip."""
    recipe = session.bundle.recipe
    plan = plan_scan(info, recipe)
    name = info.path.name
    start = 0.0 if start_s is None else float(start_s)
    end = info.duration_s if end_s is None else min(float(end_s), info.duration_s)
    if start < 0 or not math.isfinite(start) or start >= info.duration_s:
        raise BadInput(f"The example's start ({start:g} s) is not inside {name} (0–{info.duration_s:.2f} s).")
    if end <= start:
        raise BadInput(f"The example's end must come after its start ({start:g} s).")
    first = math.ceil(start / plan.tick_s - 1e-6)
    last = min(plan.ticks, math.floor(end / plan.tick_s + 1e-6))  # one past the last tick inside
    if last - first < plan.frames:
        raise BadInput(f"The example ({end - start:.2f} s of {name}) is shorter than the model's window "
                       f"({plan.window_s:.2f} s).")
    starts = np.unique(np.round(np.linspace(first, last - plan.frames, views)).astype(np.int64))
    return replace(plan, starts=starts)


def extract_features(session: ModelSession, example: Example, *, cache: FeatureCache | None = None,
                     views: int = VIEWS_PER_EXAMPLE, cancel: CancelToken | None = None) -> np.ndarray:
    """The example's features [views, D (+ 4 motion numbers)], from the cache when they are there."""
    bundle = session.bundle
    with_motion = uses_motion(bundle)
    recipe = json.dumps(bundle.recipe.to_json(), sort_keys=True)
    if with_motion:
        recipe += f" + motion {motion.MOTION_VERSION}"
    key = FeatureKey(example.sha256, example.start_s, example.end_s, graph_digest(bundle.onnx_path),
                     session.device, recipe, views)
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found
    info = probe(example.clip)
    plan = span_plan(info, session, example.start_s, example.end_s, views)
    rows = []
    with VideoReader(example.clip, resize=bundle.recipe.resize, info=info) as reader:
        for frames in reader.read_windows(plan.windows()):
            if cancel is not None:
                cancel.raise_if_cancelled()
            tensor = to_model_input(center_crop(frames.rgb, bundle.recipe.crop), bundle.recipe)
            pooled = session.features(tensor)
            rows.append(np.concatenate([pooled, motion.motion_numpy(tensor)]) if with_motion else pooled)
    features = np.stack(rows).astype(np.float32)
    if cache is not None:
        cache.put(key, features)
    return features
