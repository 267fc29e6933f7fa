"""Where the test inputs are: the repo, and the shared clips checked out beside it."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MEDIA = REPO.parent / "shared" / "media"
SAMPLES = REPO / "resources" / "samples"
