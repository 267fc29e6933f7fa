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


def need_media() -> None:
    """Skip (fail in CI, where the clips must be there) when the shared test clips are absent."""
    if MEDIA.is_dir():
        return
    reason = f"the shared test clips are missing: {MEDIA}"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


# Modules that read the shared clips without the `media` fixture (paths built at import time).
_MEDIA_MODULES = {"test_preprocess_reference.py", "test_widgets_clip_preview.py"}


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.path.name in _MEDIA_MODULES:
        need_media()


@pytest.fixture(scope="session")
def media() -> Path:
    need_media()
    return MEDIA
