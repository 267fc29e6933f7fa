"""From upright, resized RGB frames to a model's input tensor, as its input recipe says.

The resize happens in FFmpeg while reading (see `video.py`); what is left is the crop (the centre
crop, or one of PyTorchVideo's three spatial crops), the value mapping, the channel order and the
tensor layout.
"""

from __future__ import annotations

import math

import numpy as np

from kinetoscope.engine.recipe import InputRecipe


def center_crop(rgb: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """The centre `crop` (height, width) of frames [T, H, W, 3] (a view, no copy), placed as torchvision does."""
    if rgb.ndim != 4 or rgb.shape[1] < crop[0] or rgb.shape[2] < crop[1]:
        raise ValueError(f"cannot cut a {crop[0]}x{crop[1]} crop out of frames {rgb.shape}")
    h, w = rgb.shape[1:3]
    # Python's round is half to even, like the reference's (e.g. round((171 - 112) / 2) = 30).
    top, left = round((h - crop[0]) / 2), round((w - crop[1]) / 2)
    return rgb[:, top : top + crop[0], left : left + crop[1], :]


def spatial_crop(rgb: np.ndarray, crop: tuple[int, int], index: int, count: int) -> np.ndarray:
    """Crop `index` of `count` from frames [T, H, W, 3] (a view, no copy).

    One crop is the centre crop. Three are PyTorchVideo's `uniform_crop` (its 3-crop test): along
    the long side, the start, the centre (offset rounded up, as it does) and the end; centred on the
    short side.
    """
    if count == 1:
        return center_crop(rgb, crop)
    if rgb.ndim != 4 or rgb.shape[1] < crop[0] or rgb.shape[2] < crop[1] or count != 3 or not 0 <= index < 3:
        raise ValueError(f"cannot cut crop {index} of {count} ({crop[0]}x{crop[1]}) out of frames {rgb.shape}")
    h, w = rgb.shape[1:3]
    top, left = math.ceil((h - crop[0]) / 2), math.ceil((w - crop[1]) / 2)
    if h > w:
        top = (0, top, h - crop[0])[index]
    else:
        left = (0, left, w - crop[1])[index]
    return rgb[:, top : top + crop[0], left : left + crop[1], :]


def crop_name(index: int, count: int, width: int, height: int) -> str:
    """What people call spatial crop `index` of `count` on a `width` x `height` picture."""
    if count == 1:
        return "centre"
    return (("top", "centre", "bottom") if height > width else ("left", "centre", "right"))[index]


def to_model_input(crops: np.ndarray, recipe: InputRecipe) -> np.ndarray:
    """uint8 RGB crops [T, H, W, 3] -> the model's C-contiguous float32 input [1, ...]."""
    if crops.ndim != 4 or crops.shape[1:3] != recipe.crop or crops.shape[3] != 3:
        raise ValueError(f"expected crops [T, {recipe.crop[0]}, {recipe.crop[1]}, 3], got {crops.shape}")
    if recipe.channels == "bgr":
        crops = crops[..., ::-1]
    if recipe.layout == "ncthw":
        out = np.empty((1, 3, crops.shape[0], *recipe.crop), np.float32)
        # Transpose while converting, then divide in place (bit-identical to the reference's x / 255).
        np.copyto(out[0], crops.transpose(3, 0, 1, 2), casting="unsafe")
        per_channel: tuple[int, ...] = (1, 3, 1, 1, 1)
    else:
        out = np.empty((1, *crops.shape), np.float32)
        np.copyto(out[0], crops, casting="unsafe")
        per_channel = (1, 1, 1, 1, 3)
    np.divide(out, np.float32(255.0), out=out)
    if not recipe.values.is_unit:
        # The recipe gives mean and std in RGB order; the channels may already be BGR here.
        order = slice(None, None, -1) if recipe.channels == "bgr" else slice(None)
        out -= np.asarray(recipe.values.mean, np.float32)[order].reshape(per_channel)
        out /= np.asarray(recipe.values.std, np.float32)[order].reshape(per_channel)
    return out
