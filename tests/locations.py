"""Where the test inputs are: the repo, the data that ships inside the package, and the shared clips."""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
# KINETOSCOPE_TEST_MEDIA points elsewhere (e.g. at a missing folder, to see the tests skip cleanly).
MEDIA = Path(os.environ.get("KINETOSCOPE_TEST_MEDIA") or REPO.parent / "shared" / "media")
DATA = REPO / "app" / "kinetoscope" / "data"
SAMPLES = DATA / "samples"
BUNDLED_MODELS = DATA / "models"
CATALOG = DATA / "catalog.json"
