"""What a benchmark runs: its configuration, and the model inputs its runs cycle through."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kinetoscope.engine.inference.session import CpuConfig
from kinetoscope.engine.recipe import InputRecipe, with_views


@dataclass(frozen=True)
class BenchConfig:
    """What to run. `measure_cold` recompiles for the NPU (discarding its cached context) so that
    both the cold and the cached start are measured; `overhead_runs` of the measured runs also
    time the bare onnxruntime call."""

    devices: tuple[str, ...] = ("cpu", "npu")
    runs: int = 20
    warmup: int = 3
    measure_cold: bool = True
    use_context_cache: bool = True
    overhead_runs: int = 10
    cpu: CpuConfig = CpuConfig()
    tune_cpu: bool = False      # try `cpu_candidates()` first and run the CPU cells with the fastest
    tune_rounds: int = 5


@dataclass(frozen=True)
class BenchInput:
    """The model inputs the runs cycle through: one prepared tensor per view, as the recipe shapes it."""

    description: str
    views: tuple[np.ndarray, ...] = field(repr=False)


def synthetic_input(recipe: InputRecipe, views: int = 5, seed: int = 0) -> BenchInput:
    """A fixed synthetic input: one clip per motion, rendered and prepared as the model would see it."""
    from kinetoscope.engine.media.preprocess import center_crop, to_model_input
    from kinetoscope.engine.media.synthetic import MOTION_LABELS, random_spec, render_clip

    rng = np.random.default_rng(seed)
    height, width = recipe.resize.output_size(320, 240)
    fps = recipe.sampling.fps or 15.0
    tensors = []
    motions = [MOTION_LABELS[i % len(MOTION_LABELS)] for i in range(views)]
    for motion in motions:
        spec = random_spec(rng, motion)
        frames = render_clip(spec, width, height, fps, recipe.frames)
        tensors.append(to_model_input(center_crop(frames, recipe.crop), recipe))
    return BenchInput(f"synthetic clip set ({views} views: {', '.join(motions)}; seed {seed})", tuple(tensors))


def clip_input(clip: str | Path, recipe: InputRecipe, views: int = 5) -> BenchInput:
    """The views the classifier would see for `clip` (decoded and preprocessed once, up front)."""
    from kinetoscope.engine.media.preprocess import center_crop, to_model_input
    from kinetoscope.engine.media.sampling import ClipSampler
    from kinetoscope.engine.media.video import VideoReader

    clip = Path(clip)
    recipe = with_views(recipe, views)
    with VideoReader(clip, resize=recipe.resize) as reader:
        plan = ClipSampler(recipe).plan(reader.info)
        tensors = tuple(to_model_input(center_crop(v.rgb, recipe.crop), recipe)
                        for v in reader.read_views(plan.views))
    return BenchInput(f"{clip.name} ({len(tensors)} views)", tensors)
