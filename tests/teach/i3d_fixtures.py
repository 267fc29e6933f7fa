"""Session fixtures for teaching on I3D (imported by the tests that use them, so the name `conftest`
stays the window tests'): one CPU session and one feature cache for every test, so
each clip's features are computed once per test run (I3D takes about a second a view here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.teach.feature_cache import FeatureCache
from locations import BUNDLED_MODELS


@pytest.fixture(scope="session")
def i3d_session() -> ModelSession:
    path = BUNDLED_MODELS / "i3d_kinetics-onnx-float.zip"
    if not path.exists():
        pytest.skip("the I3D zips are not built (make setup)")
    return ModelSession(open_bundle(path), "cpu")


@pytest.fixture(scope="session")
def i3d_cache(tmp_path_factory) -> FeatureCache:
    """A fresh cache per run, or KINETOSCOPE_TEST_FEATURE_CACHE's across runs (entries are keyed by
    content, so sharing them is safe; it only saves time)."""
    shared = os.environ.get("KINETOSCOPE_TEST_FEATURE_CACHE")
    return FeatureCache(Path(shared) if shared else tmp_path_factory.mktemp("i3d-features"))


