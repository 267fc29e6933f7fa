"""Input recipes for tests that read clips without a model: AI Hub's two protocols, as the engine
derives them from a graph's input shape."""

from __future__ import annotations

from kinetoscope.engine.recipe import GraphInput, InputRecipe, resolve_recipe, with_views


def recipe_for(frames: int = 16, crop: int = 112, *, views: int = 5, layout: str = "ncthw") -> InputRecipe:
    """The recipe the engine infers for a graph taking `frames` x `crop` x `crop` (112 or 224)."""
    graph = GraphInput(layout, frames, (crop, crop))
    recipe = resolve_recipe(graph, declared=None, catalog=None, output_is_probabilities=True, model="test")
    return with_views(recipe, views)


RESNET = recipe_for()              # 16 frames at 15 fps, 128x171, crop 112
AIHUB_224 = recipe_for(crop=224)   # every 2nd frame, short side 256, crop 224
