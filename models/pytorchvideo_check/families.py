"""PyTorchVideo's Kinetics-400 zoo as Kinetoscope recipes: one entry per family.

The facts come from PyTorchVideo's own code and configs: its hub builders
(`pytorchvideo/models/hub/*.py`), its model-zoo table ("frame length x sample rate") and the
PySlowFast configs its benchmarks ran with (`configs/Kinetics/pytorchvideo/*.yaml`: NUM_FRAMES,
SAMPLING_RATE, TEST_CROP_SIZE, NUM_SPATIAL_CROPS, SLOWFAST.ALPHA; mean 0.45 / std 0.225, the
configs' default). Torch-free: the README's presets and the check both read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MEAN_STD = {"mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225]}


@dataclass(frozen=True)
class Family:
    """One zoo entry: how PyTorchVideo tests it, and the builder the check uses."""

    name: str            # as the zoo table names it
    builder: str         # pytorchvideo call the check makes (random weights)
    frames: int          # frames the (fast) pathway takes per view
    every: int           # sample rate: every k-th frame
    short_side: int
    crop: int
    spatial_crops: int   # PyTorchVideo's test: 3 crops x 10 clips (MViT: 1 x 5)
    views: int
    output: str          # "logits", or "probabilities" when the head ends in a softmax
    slow_frames: int | None = None  # SlowFast: frames / alpha
    smaller: str = ""    # what the check builds instead of the published size, and why

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("slow", "fast") if self.slow_frames else ("video",)

    def recipe(self) -> dict[str, Any]:
        """The "recipe" object of metadata.json's "kinetoscope" key."""
        recipe: dict[str, Any] = {
            # PySlowFast cuts clips on a 30 fps timeline (TARGET_FPS): every k-th frame at 30 fps.
            "sampling": {"fps": 30 / self.every}, "views": self.views,
            "resize": {"short_side": self.short_side, "antialias": False},
            "values": MEAN_STD, "output": self.output,
        }
        if self.spatial_crops != 1:
            recipe["spatial_crops"] = self.spatial_crops
        if self.slow_frames:
            recipe["pathways"] = [{"input": "slow", "frames": self.slow_frames},
                                  {"input": "fast", "frames": self.frames}]
        return recipe


FAMILIES = {f.name: f for f in (
    Family("SlowFast R50 4x16", "slowfast_4x16_r50", 32, 2, 256, 256, 3, 10, "logits", slow_frames=4),
    Family("SlowFast R50 8x8", "slowfast_r50", 32, 2, 256, 256, 3, 10, "logits", slow_frames=8),
    Family("Slow R50 8x8", "slow_r50", 8, 8, 256, 256, 3, 10, "logits"),
    Family("X3D-S 13x6", "x3d_s", 13, 6, 182, 182, 3, 10, "probabilities"),
    Family("X3D-M 16x5", "x3d_m", 16, 5, 256, 256, 3, 10, "probabilities"),
    Family("MViT-B 16x4", "mvit_base_16x4", 16, 4, 256, 224, 1, 5, "logits"),
    Family("CSN R101 32x2", "csn_r50", 32, 2, 256, 256, 3, 10, "logits",
           smaller="R50 depth instead of R101: same stem, strides, head and recipe, half the time"),
    Family("C2D R50 8x8", "c2d_r50", 8, 8, 256, 256, 3, 10, "logits"),
    Family("I3D R50 8x8", "i3d_r50", 8, 8, 256, 256, 3, 10, "logits"),
    Family("R(2+1)D R50 16x4", "r2plus1d_r50", 16, 4, 256, 256, 3, 10, "probabilities"),
)}


def model_id(family: Family) -> str:
    return "ptv_" + "".join(c if c.isalnum() else "_" for c in family.builder.lower())
