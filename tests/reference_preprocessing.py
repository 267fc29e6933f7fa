"""An independent, deliberately naive implementation of the reference preprocessing.

It follows the protocol as written (see ../shared/reference/ai-hub-bundles.md): decode every
frame at full size, resample to 15 fps by index, cut views by linspace, resize each float frame
like torch's bilinear interpolation (align_corners=False, no antialias), centre-crop, /255.
It shares no code with the engine, so agreement means something. It also serves as the naive
pipeline in benchmarks: it holds the whole decoded clip in memory.

The `mae_*` functions do the same for AI Hub's Video-MAE protocol: every native frame, every 2nd
kept, short side resized to 256 with torch's antialiased bilinear, centre crop 224.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

OUT_HW = (128, 171)
CROP = 112
CLIP_LEN = 16
TARGET_FPS = 15.0


def decode_all(path: str | Path) -> tuple[list[np.ndarray], float]:
    """Every frame of the first video stream as full-size uint8 RGB, and the average rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    return frames, fps


def resampled_source_indices(total: int, fps: float) -> list[int]:
    """round(k * step) for k in 0 .. int(T / step) - 1; untouched when within 0.5 fps of 15."""
    if abs(fps - TARGET_FPS) < 0.5:
        return list(range(total))
    step = fps / TARGET_FPS
    # At least one frame: the protocol as written would give an empty clip for T < step.
    return [round(k * step) for k in range(max(1, int(total / step)))]


def view_source_indices(resampled: list[int], n_views: int) -> list[list[int]]:
    """The source indices of each view, the last frame repeated when the clip is short."""
    count = len(resampled)
    starts = np.floor(np.linspace(0, max(1, count - CLIP_LEN + 1) - 1, n_views)).astype(int)
    views = []
    for s in starts:
        chunk = resampled[s : s + CLIP_LEN]
        views.append(chunk + [chunk[-1]] * (CLIP_LEN - len(chunk)))
    return views


def reference_indices(path: str | Path, n_views: int = 5) -> list[list[int]]:
    """Source frame indices per view, by counting every decoded frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        total = sum(1 for _ in container.decode(stream))
    return view_source_indices(resampled_source_indices(total, fps), n_views)


def _axis_weights(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scale = in_size / out_size
    src = (np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5
    src = np.maximum(src, 0.0)
    i0 = np.floor(src).astype(np.int64)
    i0 = np.minimum(i0, in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = (src - i0).astype(np.float32)
    return i0, i1, w1


def torch_bilinear_resize(img: np.ndarray, out_hw: tuple[int, int] = OUT_HW) -> np.ndarray:
    """float32 [H, W, C] -> [h, w, C], as torch.nn.functional.interpolate(bilinear, align_corners=False)."""
    h, w = out_hw
    y0, y1, wy = _axis_weights(img.shape[0], h)
    x0, x1, wx = _axis_weights(img.shape[1], w)
    wy = wy[:, None, None]
    rows = img[y0] * (1 - wy) + img[y1] * wy
    wx = wx[None, :, None]
    return (rows[:, x0] * (1 - wx) + rows[:, x1] * wx).astype(np.float32)


def preprocess_view(frames: list[np.ndarray]) -> np.ndarray:
    """16 full-size uint8 frames -> float32 [1, 3, 16, 112, 112] in [0, 1]."""
    top = round((OUT_HW[0] - CROP) / 2)
    left = round((OUT_HW[1] - CROP) / 2)
    out = []
    for f in frames:
        resized = torch_bilinear_resize(f.astype(np.float32) / 255.0)
        out.append(resized[top : top + CROP, left : left + CROP])
    clip = np.stack(out)  # T, H, W, C
    return np.ascontiguousarray(clip.transpose(3, 0, 1, 2)[None])


def reference_views(path: str | Path, n_views: int = 5) -> list[np.ndarray]:
    """The reference model inputs of a clip: one float32 [1, 3, 16, 112, 112] per view."""
    frames, fps = decode_all(path)
    views = view_source_indices(resampled_source_indices(len(frames), fps), n_views)
    return [preprocess_view([frames[i] for i in v]) for v in views]


# -- AI Hub's Video-MAE protocol ----------------------------------------------------------------
# Every native frame, keep frames[::2], 5 views of 16 kept frames, per frame /255, resize the short
# side to 256 as torchvision's TF.resize(video, 256) does (bilinear with antialias), centre crop 224.

MAE_EVERY = 2
MAE_SHORT_SIDE = 256
MAE_CROP = 224


def mae_view_source_indices(total: int, n_views: int) -> list[list[int]]:
    """The source indices of each Video-MAE view: every 2nd native frame, cut by linspace."""
    return view_source_indices(list(range(total))[::MAE_EVERY], n_views)


def mae_reference_indices(path: str | Path, n_views: int = 5) -> list[list[int]]:
    """Source frame indices per Video-MAE view, by counting every decoded frame."""
    with av.open(str(path)) as container:
        total = sum(1 for _ in container.decode(container.streams.video[0]))
    return mae_view_source_indices(total, n_views)


def short_side_size(h: int, w: int, short: int = MAE_SHORT_SIDE) -> tuple[int, int]:
    """(height, width) after torchvision's resize of the short side to `short`: the long side becomes int(short * long / short_side)."""
    if h <= w:
        return short, int(short * w / h)
    return int(short * h / w), short


def _aa_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Dense [out, in] weights of torch's antialiased bilinear (`_upsample_bilinear2d_aa`) along one axis.

    A triangle filter centred on each output pixel, its support widened by the shrink factor when
    downscaling (plain bilinear, align_corners=False, when upscaling), weights normalised to sum 1.
    """
    scale = in_size / out_size
    support = scale if scale >= 1.0 else 1.0
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    m = np.zeros((out_size, in_size), np.float64)
    for i in range(out_size):
        center = scale * (i + 0.5)
        # int() truncates toward zero, as torch's static_cast does.
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        for j in range(xmin, xmax):
            m[i, j] = max(0.0, 1.0 - abs((j - center + 0.5) * invscale))
        total = m[i].sum()
        if total != 0.0:
            m[i] /= total
    return m


def torch_aa_bilinear_resize(img: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """float32 [H, W, C] -> [h, w, C], as torch.nn.functional.interpolate(bilinear, align_corners=False,
    antialias=True), which torchvision's TF.resize calls for a float tensor.

    Checked once against torch 2.13.0 (CPU, F.interpolate with antialias=True) on two decoded frames
    of each shared clip scaled to short side 256 (1920x1080 -> 256x455, 426x240 -> 256x454,
    320x240 -> 256x341, 340x256 unchanged) and on random images of other sizes, up and down:
    max |difference| 1.9e-5 (0.005/255) on float32 input, from torch's float32 accumulation;
    5.6e-16 on float64 input, so the weights are torch's.
    """
    (h, w), (in_h, in_w, c) = out_hw, img.shape
    wy = _aa_matrix(in_h, h)
    wx = _aa_matrix(in_w, w)
    # Two dense matrix products (rows, then columns), each one BLAS call.
    rows = (wy @ img.astype(np.float64).reshape(in_h, in_w * c)).reshape(h, in_w, c)
    out = wx @ rows.transpose(1, 0, 2).reshape(in_w, h * c)
    return out.reshape(w, h, c).transpose(1, 0, 2).astype(np.float32)


def mae_preprocess_frame(frame: np.ndarray) -> np.ndarray:
    """One full-size uint8 frame [H, W, 3] -> its float32 224 x 224 crop [224, 224, 3] in [0, 1]."""
    h, w = short_side_size(frame.shape[0], frame.shape[1])
    resized = torch_aa_bilinear_resize(frame.astype(np.float32) / 255.0, (h, w))
    top, left = round((h - MAE_CROP) / 2), round((w - MAE_CROP) / 2)
    return resized[top : top + MAE_CROP, left : left + MAE_CROP]


def mae_reference_views(path: str | Path, n_views: int = 5) -> list[np.ndarray]:
    """The Video-MAE reference model inputs of a clip: one float32 [1, 3, 16, 224, 224] per view."""
    frames, _fps = decode_all(path)
    views = mae_view_source_indices(len(frames), n_views)
    # Views overlap on short clips: each source frame is preprocessed once (a full-HD resize is slow).
    crops = {i: mae_preprocess_frame(frames[i]) for v in views for i in set(v)}
    return [np.ascontiguousarray(np.stack([crops[i] for i in v]).transpose(3, 0, 1, 2)[None]) for v in views]
