"""Cached features of examples: one small .npy per (clip content, span, model, recipe, views).

Retraining a set reads these instead of decoding anything; adding an example costs one
extraction. The cache is derived data (`<data>/cache/teach-features/`): deleting it only costs
time. Writes are atomic, so a kill never leaves a half-written entry that later reads as valid.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kinetoscope.engine import paths


@dataclass(frozen=True)
class FeatureKey:
    """What an example's features depend on."""

    clip_sha256: str
    start_s: float | None
    end_s: float | None
    model: str          # the features graph: its file's SHA-256
    device: str         # cpu or npu: the same graph gives slightly different numbers on each
    recipe: str         # the input recipe as canonical JSON
    views: int

    def digest(self) -> str:
        text = json.dumps([self.clip_sha256, self.start_s, self.end_s, self.model, self.device, self.recipe,
                           self.views], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class FeatureCache:
    """Features [views, D] per key, with counts of hits and misses since it was made."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or paths.cache_dir() / "teach-features"
        self.hits = 0
        self.misses = 0

    def _path(self, key: FeatureKey) -> Path:
        digest = key.digest()
        return self.root / digest[:2] / f"{digest}.npy"

    def get(self, key: FeatureKey) -> np.ndarray | None:
        path = self._path(key)
        try:
            value = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: FeatureKey, features: np.ndarray) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".npy", dir=path.parent)
            with os.fdopen(fd, "wb") as out:
                np.save(out, np.asarray(features, np.float32), allow_pickle=False)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written only costs time next run
