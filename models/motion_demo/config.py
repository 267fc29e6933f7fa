"""Constants shared by the motion_demo build steps: paths, seeds, the I/O contract."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = HERE / "work"
MODELS = REPO / "app" / "kinetoscope" / "data" / "models"
SAMPLES = REPO / "app" / "kinetoscope" / "data" / "samples"

# The build runs from a checkout without installing the app: make `kinetoscope` importable.
if str(REPO / "app") not in sys.path:
    sys.path.insert(0, str(REPO / "app"))

MODEL_ID = "motion_demo"
MODEL_NAME = "Motion demo"
INPUT_NAME = "video"
OUTPUT_NAME = "class_probs"
INPUT_SHAPE = (1, 3, 16, 112, 112)
# Kinetics-400 normalisation, the same as AI Hub's video classifiers (applied inside the graph).
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)

# The app's preprocessing: 15 fps, frames resized to 128 x 171 (H x W), centre crop 112.
FPS = 15.0
FRAMES = 16
RESIZE_HW = (128, 171)
CROP = 112
CROP_TOP = round((RESIZE_HW[0] - CROP) / 2)
CROP_LEFT = round((RESIZE_HW[1] - CROP) / 2)

# Seeds and shape families: the held-out set never sees the training seeds, nor the "arrow" family.
TRAIN_SEED = 1234
VALID_SEED = 777_000
HELDOUT_SEED = 9_000_000
CALIB_SEED = 5_500_000
TRAIN_FAMILIES = ("star", "letter", "blobs", "crescent")
HELDOUT_FAMILIES = ("star", "letter", "blobs", "crescent", "arrow")
UNSEEN_FAMILY = "arrow"

# The trained weights every later step (export, quantise, ...) reads.
CHECKPOINT = WORK / "motion_demo.pt"
FLOAT_ONNX = WORK / "motion_demo_float.onnx"
W8A8_ONNX = WORK / "motion_demo_w8a8.onnx"
