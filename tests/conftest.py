"""Shared fixtures. Every test gets its own Kinetoscope data folder, so no test sees another's
models, caches or settings, and none touches the developer's real data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from locations import MEDIA  # noqa: E402
from media_factory import awkward  # noqa: E402,F401  (session fixture: generated awkward clips)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def kinetoscope_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KINETOSCOPE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def media() -> Path:
    if not MEDIA.is_dir():
        pytest.fail(f"the shared test clips are missing: {MEDIA}")
    return MEDIA
