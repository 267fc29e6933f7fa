"""PyTorchVideo's own test transforms against the app's pipeline (models/pytorchvideo_check/check.py).

Runs the check for X3D-S, the quickest family, in the check's own environment (torch, torchvision,
pytorchvideo: models/pytorchvideo_check/requirements-check.txt), which the app never needs. Set
KINETOSCOPE_PTV_PYTHON to its interpreter; without it, ../check-venv27 beside the repo is used when
it exists, else the test skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from locations import MEDIA, REPO

CHECK_PYTHON = Path(os.environ.get("KINETOSCOPE_PTV_PYTHON") or REPO.parent / "check-venv27" / "bin" / "python")


@pytest.mark.slow
def test_x3d_s_through_the_app_matches_pytorchvideos_transforms(tmp_path, media):
    if not CHECK_PYTHON.exists():
        pytest.skip(f"no check environment with torch and pytorchvideo at {CHECK_PYTHON} "
                    "(see models/pytorchvideo_check/requirements-check.txt; KINETOSCOPE_PTV_PYTHON)")
    figures = tmp_path / "figures.json"
    proc = subprocess.run([str(CHECK_PYTHON), str(REPO / "models" / "pytorchvideo_check" / "check.py"),
                           "--families", "X3D-S 13x6", "--clip", str(MEDIA / "clip_340x256_30fps.mp4"),
                           "--app-python", sys.executable, "--json", str(figures)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = json.loads(figures.read_text())
    assert row["crops"] == ["left", "centre", "right"]
    # On the same frames only the resize differs (FFmpeg's 256 -> 182 against torch's bilinear).
    assert row["same_frames"]["same_top5"] == "3/3" and row["same_frames"]["max_abs_dp"] < 0.03
    assert row["protocol"]["same_top5"] == "3/3" and row["protocol"]["max_abs_dp"] < 0.06
