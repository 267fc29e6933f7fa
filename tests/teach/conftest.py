"""Session fixtures for teaching on I3D: one CPU session and one feature cache for every test, so
each clip's features are computed once per test run (I3D takes about a second a view here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinetoscope.engine.files import sha256_file
from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.teach.action_set import Example
from kinetoscope.engine.teach.example_features import extract_features
from kinetoscope.engine.teach.feature_cache import FeatureCache
from locations import BUNDLED_MODELS
from motions import UNTAUGHT, held_out_clips, training_clips


@pytest.fixture(scope="session")
def i3d_session() -> ModelSession:
    path = BUNDLED_MODELS / "i3d_kinetics-onnx-float.zip"
    if not path.exists():
        pytest.skip("the I3D zips are not built (make setup)")
    return ModelSession(open_bundle(path), "cpu")


@pytest.fixture(scope="session")
def i3d_cache(tmp_path_factory) -> FeatureCache:
    return FeatureCache(tmp_path_factory.mktemp("i3d-features"))


@pytest.fixture(scope="session")
def motion_clips(tmp_path_factory) -> dict[str, dict[str, list[Path]]]:
    folder = tmp_path_factory.mktemp("motions")
    return {"train": training_clips(folder), "held_out": held_out_clips(folder),
            "untaught": held_out_clips(folder, 2, UNTAUGHT)}


def features_of(session: ModelSession, cache: FeatureCache, path: Path, start: float | None = None,
                end: float | None = None):
    return extract_features(session, Example(path, sha256_file(path), start, end), cache=cache)
