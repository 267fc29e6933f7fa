"""From upright 128 x 171 RGB frames to the classifiers' input tensor.

The resize itself happens in FFmpeg while reading (see `video.py`); what is left is the
reference's centre crop and the layout change to [batch, channel, time, height, width] in [0, 1].
The graph normalises with the Kinetics mean and std itself.
"""

from __future__ import annotations

import numpy as np

RESIZE_HW = (128, 171)
CROP = 112

# The reference rounds (128 - 112) / 2 and (171 - 112) / 2 with Python's round (half to even):
# 8 and round(29.5) = 30.
_TOP = round((RESIZE_HW[0] - CROP) / 2)
_LEFT = round((RESIZE_HW[1] - CROP) / 2)


def center_crop(rgb: np.ndarray) -> np.ndarray:
    """Cut the reference's 112 x 112 centre out of uint8 frames [T, 128, 171, 3] (a view, no copy)."""
    if rgb.ndim != 4 or rgb.shape[1:] != (*RESIZE_HW, 3):
        raise ValueError(f"expected frames [T, {RESIZE_HW[0]}, {RESIZE_HW[1]}, 3], got {rgb.shape}")
    return rgb[:, _TOP : _TOP + CROP, _LEFT : _LEFT + CROP, :]


def to_model_input(crops: np.ndarray) -> np.ndarray:
    """uint8 [T, 112, 112, 3] -> C-contiguous float32 [1, 3, T, 112, 112] with values in [0, 1]."""
    if crops.ndim != 4 or crops.shape[1:] != (CROP, CROP, 3):
        raise ValueError(f"expected crops [T, {CROP}, {CROP}, 3], got {crops.shape}")
    out = np.empty((1, 3, crops.shape[0], CROP, CROP), np.float32)
    # Transpose while converting, then divide in place (dividing, as the reference does,
    # keeps the values bit-identical to it).
    np.copyto(out[0], crops.transpose(3, 0, 1, 2), casting="unsafe")
    np.divide(out, np.float32(255.0), out=out)
    return out
