"""Where the test inputs are: the repo, the data that ships inside the package, and the shared clips."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MEDIA = REPO.parent / "shared" / "media"
DATA = REPO / "app" / "kinetoscope" / "data"
SAMPLES = DATA / "samples"
BUNDLED_MODELS = DATA / "models"
CATALOG = DATA / "catalog.json"
