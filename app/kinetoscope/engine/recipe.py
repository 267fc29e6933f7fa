"""How a clip becomes one model's input: the input recipe that travels with every model bundle.

A recipe says which frames a view holds (frame sampling, frames per view, views and where they sit),
how each frame is resized and cropped (one centre crop, or PyTorchVideo's left/centre/right spatial
crops), how pixel values are mapped, and the tensor's channel order and layout; which graph input
each pathway of a multi-input model (SlowFast) takes from the view; and whether the model's output
is already probabilities. Frames per view, the crop and
the layout come from the graph; the rest, in order, from the bundle's metadata.json (the
`"kinetoscope"` key, documented in the README), the catalog entry of a known AI Hub model, or what
the graph's input size implies (112 -> AI Hub's ResNet recipe, 224 -> AI Hub's 224 recipe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kinetoscope.engine.errors import ModelError

# The most views of one clip anyone may ask for (window, settings, CLI): each is a full inference.
MAX_VIEWS = 64
RECIPE_KEY = "kinetoscope"
RECIPE_FORMAT = 1
LAYOUTS = ("ncthw", "nthwc")
CHANNELS = ("rgb", "bgr")
OUTPUTS = ("probabilities", "logits")
DEFAULT_VIEWS = 5
_RECIPE_FIELDS = {"sampling", "views", "resize", "values", "channels", "layout", "output", "frames", "crop",
                  "pathways", "spatial_crops"}
MAX_SPATIAL_CROPS = 3


@dataclass(frozen=True)
class FrameSampling:
    """Which native frames make the sequence views are cut from: resampled to `fps`, or every k-th."""

    fps: float | None = None
    every: int | None = None

    def __post_init__(self) -> None:
        if (self.fps is None) == (self.every is None):
            raise ValueError("frame sampling takes exactly one of fps or every")

    def describe(self) -> str:
        return f"{self.fps:g} fps" if self.fps is not None else f"every {self.every} frames"

    def to_json(self) -> dict[str, Any]:
        return {"fps": self.fps} if self.fps is not None else {"every": self.every}


@dataclass(frozen=True)
class Resize:
    """Resize every frame to a fixed (height, width), or its short side to `short_side` keeping the aspect."""

    size: tuple[int, int] | None = None
    short_side: int | None = None
    # torchvision's resize with antialias (the default of its v2 transforms) vs plain bilinear.
    antialias: bool = False

    def __post_init__(self) -> None:
        if (self.size is None) == (self.short_side is None):
            raise ValueError("resize takes exactly one of size or short_side")

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """(height, width) of an upright `width` x `height` picture after this resize."""
        if self.size is not None:
            return self.size
        s = int(self.short_side or 0)
        # torchvision: the long side becomes int(s * long / short).
        if width <= height:
            return int(s * height / width), s
        return s, int(s * width / height)

    def describe(self) -> str:
        if self.size is not None:
            return f"resize to {self.size[0]}x{self.size[1]}"
        return f"short side {self.short_side}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"size": list(self.size)} if self.size else {"short_side": self.short_side}
        # Explicit whenever it differs from what reading the JSON back would assume (on for short_side).
        if self.antialias or self.short_side is not None:
            data["antialias"] = self.antialias
        return data


@dataclass(frozen=True)
class ValueMapping:
    """uint8 -> float: x / 255, then (x - mean) / std per channel (identity means [0, 1])."""

    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def is_unit(self) -> bool:
        return self.mean == (0.0, 0.0, 0.0) and self.std == (1.0, 1.0, 1.0)

    def describe(self) -> str:
        if self.is_unit:
            return "values 0..1"
        if self.mean == (0.5, 0.5, 0.5) and self.std == (0.5, 0.5, 0.5):
            return "values -1..1"
        return "mean/std normalised"

    def to_json(self) -> Any:
        if self.is_unit:
            return "unit"
        if self.mean == (0.5, 0.5, 0.5) and self.std == (0.5, 0.5, 0.5):
            return "symmetric"
        return {"mean": list(self.mean), "std": list(self.std)}


@dataclass(frozen=True)
class Pathway:
    """One graph input of a multi-input model and the frames of the view it takes.

    The view is the recipe's window of `frames` sampled frames (the fast pathway of SlowFast). A
    pathway takes `frames` of them: with `stride`, every stride-th from the first; without, the
    frames at floor(linspace(0, window - 1, frames)), which is what PyTorchVideo's PackPathway does
    (for 32 -> 8: 0, 4, 8, 13, 17, 22, 26, 31).
    """

    input: str
    frames: int
    stride: int | None = None

    def positions(self, window: int) -> tuple[int, ...]:
        """Indices into the view's `window` frames that this pathway's input holds."""
        if self.stride is not None:
            return tuple(range(0, window, self.stride))[: self.frames]
        if self.frames == window:
            return tuple(range(window))
        return tuple(int(x) for x in np.floor(np.linspace(0, window - 1, self.frames)))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input": self.input, "frames": self.frames}
        if self.stride is not None:
            data["stride"] = self.stride
        return data


UNIT = ValueMapping()
SYMMETRIC = ValueMapping((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@dataclass(frozen=True)
class InputRecipe:
    """How a clip becomes this model's input tensors, and what its output means."""

    frames: int                       # per view (from the graph)
    crop: tuple[int, int]             # (height, width) centre crop (from the graph)
    sampling: FrameSampling
    resize: Resize
    views: int = DEFAULT_VIEWS
    values: ValueMapping = UNIT
    channels: str = "rgb"
    layout: str = "ncthw"
    output: str = "probabilities"
    origin: str = "graph"             # where the non-graph parts came from: metadata, catalog, graph
    # A multi-input graph's inputs, each fed from the view's `frames` (empty: one input, the whole view).
    pathways: tuple[Pathway, ...] = ()
    # 1: one centre crop; 3: left, centre and right crops along the long side, each run as a view.
    spatial_crops: int = 1

    @property
    def slow_positions(self) -> tuple[int, ...]:
        """Which of a view's frames the pathway with the fewest frames takes (SlowFast's slow one);
        empty for a single-input recipe."""
        if not self.pathways:
            return ()
        slowest = min(self.pathways, key=lambda p: p.frames)
        return slowest.positions(self.frames) if slowest.frames < self.frames else ()

    @property
    def views_total(self) -> int:
        """Model runs per clip: temporal views times spatial crops."""
        return self.views * self.spatial_crops

    @property
    def input_shape(self) -> tuple[int, ...]:
        h, w = self.crop
        return (1, 3, self.frames, h, w) if self.layout == "ncthw" else (1, self.frames, h, w, 3)

    def view_seconds(self, native_fps: float) -> float:
        """How much of a clip at `native_fps` one view covers."""
        if self.sampling.fps is not None:
            return self.frames / self.sampling.fps
        return self.frames * int(self.sampling.every or 1) / max(native_fps, 1e-6)

    def describe(self) -> str:
        h, w = self.crop
        crops = f"centre crop {h}x{w}" if self.spatial_crops == 1 else f"{self.spatial_crops} spatial crops {h}x{w}"
        pathways = "".join(f", {p.input} {p.frames} frames" for p in self.pathways)
        return (f"{self.frames} frames at {self.sampling.describe()}{pathways}, {self.views} views, "
                f"{self.resize.describe()}, {crops}, {self.values.describe()}, {self.channels.upper()}, "
                f"{self.layout.upper()}, "
                f"{'probabilities' if self.output == 'probabilities' else 'logits (softmax applied by Kinetoscope)'}")

    def to_json(self) -> dict[str, Any]:
        data = {"frames": self.frames, "crop": list(self.crop), "sampling": self.sampling.to_json(),
                "views": self.views, "resize": self.resize.to_json(), "values": self.values.to_json(),
                "channels": self.channels, "layout": self.layout, "output": self.output, "origin": self.origin}
        if self.pathways:
            data["pathways"] = [p.to_json() for p in self.pathways]
        if self.spatial_crops != 1:
            data["spatial_crops"] = self.spatial_crops
        return data


# -- where a recipe comes from -------------------------------------------------------------

# AI Hub's ResNets (and every 112x112 Kinetics classifier after torchvision's recipe).
RESNET_112 = {"sampling": {"fps": 15}, "views": 5, "resize": {"size": [128, 171]}, "values": "unit"}
# AI Hub's 224x224 protocol (Video-MAE): every 2nd native frame, short side 256 with antialias.
AIHUB_224 = {"sampling": {"every": 2}, "views": 5, "resize": {"short_side": 256, "antialias": True},
             "values": "unit"}
_BY_CROP = {(112, 112): RESNET_112, (224, 224): AIHUB_224}


@dataclass(frozen=True)
class GraphInput:
    """What the graph's video input says: layout, frames per view and crop (None where dynamic)."""

    layout: str
    frames: int | None
    crop: tuple[int | None, int | None]

    @classmethod
    def from_shape(cls, shape: tuple[int | None, ...]) -> GraphInput | None:
        """[1, 3, T, H, W] or [1, T, H, W, 3]; None when the shape is neither."""
        if len(shape) != 5 or shape[0] not in (1, None):
            return None
        if shape[1] == 3:
            return cls("ncthw", shape[2], (shape[3], shape[4]))
        if shape[4] == 3:
            return cls("nthwc", shape[1], (shape[2], shape[3]))
        return None


def resolve_recipe(graph: GraphInput, *, declared: dict[str, Any] | None, catalog: dict[str, Any] | None,
                   output_is_probabilities: bool, model: str,
                   video_inputs: dict[str, GraphInput] | None = None) -> InputRecipe:
    """The recipe for a model: the graph's facts, then the metadata's declaration over the catalog's
    over what the input size implies. `video_inputs` names every video input of a multi-input graph
    (`graph` is the one with the most frames). Raises ModelError naming what to declare when it
    cannot be filled."""
    layers: list[tuple[str, dict[str, Any]]] = []
    declared_crop = _int_pair((declared or {}).get("crop"), "crop", model) if declared and "crop" in declared else None
    crop_hint = declared_crop or graph.crop
    implied = _BY_CROP.get(crop_hint) if None not in crop_hint else None
    if implied is not None:
        layers.append(("graph", implied))
    if catalog:
        layers.append(("catalog", catalog))
    if declared:
        unknown = set(declared) - _RECIPE_FIELDS
        if unknown:
            raise ModelError(f"{model}: unknown input recipe key {sorted(unknown)[0]!r} in metadata.json "
                             f"(known: {', '.join(sorted(_RECIPE_FIELDS))}).")
        layers.append(("metadata", declared))
    merged: dict[str, Any] = {}
    origin = "graph"
    for name, layer in layers:
        merged.update(layer)
        origin = name
    recipe = _build(merged, graph, origin, output_is_probabilities, model)
    return _with_pathways(recipe, merged, video_inputs or {}, model)


def _with_pathways(recipe: InputRecipe, data: dict[str, Any], inputs: dict[str, GraphInput],
                   model: str) -> InputRecipe:
    """The recipe with its pathways and spatial crops, checked against the graph's video inputs."""
    crops = _positive_int(data.get("spatial_crops", 1), "spatial_crops", model)
    if crops not in (1, MAX_SPATIAL_CROPS):
        raise _bad(model, "spatial_crops", crops, "1 or 3")
    declared = data.get("pathways")
    if declared is None:
        if len(inputs) > 1:
            raise ModelError(f"{model} takes {len(inputs)} video inputs ({', '.join(sorted(inputs))}): declare which "
                             f"frames each takes under \"{RECIPE_KEY}\": {{\"recipe\": {{\"pathways\": […]}}}} in its "
                             "metadata.json (see the README, \"PyTorchVideo's model zoo: two pathways, three crops\").")
        return replace(recipe, spatial_crops=crops)
    if not isinstance(declared, list) or not declared:
        raise _bad(model, "pathways", declared, '[{"input": NAME, "frames": N}, …]')
    pathways = tuple(_pathway(p, model) for p in declared)
    names = [p.input for p in pathways]
    if len(set(names)) != len(names):
        raise _bad(model, "pathways", declared, "each graph input once")
    if inputs and set(names) != set(inputs):
        raise ModelError(f"{model}: metadata.json's pathways name inputs {sorted(names)}; the graph's video inputs "
                         f"are {sorted(inputs)}.")
    for p in pathways:
        if p.frames > recipe.frames or len(p.positions(recipe.frames)) != p.frames:
            raise ModelError(f"{model}: pathway {p.input!r} takes {p.frames} frames"
                             f"{f' every {p.stride}' if p.stride else ''}, which a view of {recipe.frames} "
                             "frames does not hold.")
        graph = inputs.get(p.input)
        if graph is not None and graph.frames is not None and graph.frames != p.frames:
            raise ModelError(f"{model}: metadata.json gives pathway {p.input!r} {p.frames} frames; "
                             f"the graph's input takes {graph.frames}.")
        if graph is not None and (graph.layout != recipe.layout or
                                  any(g is not None and g != c for g, c in zip(graph.crop, recipe.crop))):
            raise ModelError(f"{model}: pathway {p.input!r} takes another frame size or layout than the view.")
    return replace(recipe, pathways=pathways, spatial_crops=crops)


def _pathway(value: Any, model: str) -> Pathway:
    if not (isinstance(value, dict) and isinstance(value.get("input"), str) and value["input"]
            and set(value) <= {"input", "frames", "stride"} and "frames" in value):
        raise _bad(model, "pathway", value, '{"input": NAME, "frames": N} or with "stride": K')
    stride = value.get("stride")
    return Pathway(value["input"], _positive_int(value["frames"], "pathway frames", model),
                   None if stride is None else _positive_int(stride, "pathway stride", model))


def _build(data: dict[str, Any], graph: GraphInput, origin: str, output_is_probabilities: bool,
           model: str) -> InputRecipe:
    frames = graph.frames or (_positive_int(data["frames"], "frames", model) if "frames" in data else None)
    crop = graph.crop if None not in graph.crop else (_int_pair(data["crop"], "crop", model) if "crop" in data else None)
    if "frames" in data and graph.frames and _positive_int(data["frames"], "frames", model) != graph.frames:
        raise ModelError(f"{model}: metadata.json declares {data['frames']} frames per view; the graph takes {graph.frames}.")
    declared_crop = _int_pair(data["crop"], "crop", model) if "crop" in data else None
    if declared_crop and any(g is not None and g != d for g, d in zip(graph.crop, declared_crop)):
        taken = "x".join(str(d) if d else "?" for d in graph.crop)
        raise ModelError(f"{model}: metadata.json declares a {declared_crop[0]}x{declared_crop[1]} crop; "
                         f"the graph takes {taken}.")
    missing = [key for key, value in (("frames", frames), ("crop", crop)) if value is None]
    missing += [key for key in ("sampling", "resize") if key not in data]
    if missing:
        size = "x".join(str(d) if d else "?" for d in graph.crop)
        raise ModelError(
            f"{model} takes {size} frames, for which Kinetoscope knows no input recipe: declare "
            f"{', '.join(repr(m) for m in missing)} under \"{RECIPE_KEY}\": {{\"recipe\": {{…}}}} in its metadata.json "
            "(see the README, 'The \"kinetoscope\" key: describing your own export').")
    assert frames is not None and crop is not None
    layout = _choice(data.get("layout", graph.layout), LAYOUTS, "layout", model)
    if layout != graph.layout:
        raise ModelError(f"{model}: metadata.json declares layout {layout!r}; the graph's input is {graph.layout!r}.")
    output = _choice(data.get("output", "probabilities" if output_is_probabilities else "logits"), OUTPUTS,
                     "output", model)
    recipe = InputRecipe(
        frames=frames, crop=crop, sampling=_sampling(data["sampling"], model), resize=_resize(data["resize"], model),
        views=_positive_int(data.get("views", DEFAULT_VIEWS), "views", model),
        values=_values(data.get("values", "unit"), model),
        channels=_choice(data.get("channels", "rgb"), CHANNELS, "channels", model),
        layout=layout, output=output, origin=origin,
    )
    h, w = recipe.crop
    if recipe.resize.size is not None and (recipe.resize.size[0] < h or recipe.resize.size[1] < w):
        raise ModelError(f"{model}: its recipe resizes to {recipe.resize.size[0]}x{recipe.resize.size[1]}, "
                         f"smaller than its {h}x{w} crop.")
    if recipe.resize.short_side is not None and recipe.resize.short_side < max(h, w):
        raise ModelError(f"{model}: its recipe's short side {recipe.resize.short_side} is smaller than its {h}x{w} crop.")
    return recipe


def with_views(recipe: InputRecipe, views: int | None) -> InputRecipe:
    """The same recipe with another number of temporal views (the user's choice), or unchanged for None.
    Each temporal view still runs once per spatial crop."""
    return recipe if views is None or views == recipe.views else replace(recipe, views=views)


def _bad(model: str, what: str, value: Any, expected: str) -> ModelError:
    return ModelError(f"{model}: input recipe {what} {value!r} in metadata.json is not valid; expected {expected}.")


def _positive_int(value: Any, what: str, model: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(model, what, value, "a positive whole number")
    return value


def _int_pair(value: Any, what: str, model: str) -> tuple[int, int]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise _bad(model, what, value, "[height, width]")
    return _positive_int(value[0], what, model), _positive_int(value[1], what, model)


def _choice(value: Any, allowed: tuple[str, ...], what: str, model: str) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise _bad(model, what, value, " or ".join(repr(a) for a in allowed))
    return value.lower()


def _sampling(value: Any, model: str) -> FrameSampling:
    if isinstance(value, dict) and set(value) == {"fps"}:
        fps = value["fps"]
        if isinstance(fps, (int, float)) and not isinstance(fps, bool) and math.isfinite(fps) and 0 < fps <= 240:
            return FrameSampling(fps=float(fps))
    if isinstance(value, dict) and set(value) == {"every"}:
        return FrameSampling(every=_positive_int(value["every"], "sampling.every", model))
    raise _bad(model, "sampling", value, '{"fps": N} or {"every": K}')


def _resize(value: Any, model: str) -> Resize:
    if isinstance(value, dict):
        antialias = value.get("antialias", "short_side" in value)
        if not isinstance(antialias, bool):
            raise _bad(model, "resize.antialias", antialias, "true or false")
        keys = set(value) - {"antialias"}
        if keys == {"size"}:
            return Resize(size=_int_pair(value["size"], "resize.size", model), antialias=antialias)
        if keys == {"short_side"}:
            return Resize(short_side=_positive_int(value["short_side"], "resize.short_side", model), antialias=antialias)
    raise _bad(model, "resize", value, '{"size": [H, W]} or {"short_side": S}')


def _values(value: Any, model: str) -> ValueMapping:
    if value == "unit":
        return UNIT
    if value == "symmetric":
        return SYMMETRIC
    if isinstance(value, dict) and set(value) == {"mean", "std"}:
        mean, std = value["mean"], value["std"]
        ok = all(isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                             for x in v) for v in (mean, std))
        if ok and all(s > 0 for s in std):
            return ValueMapping(tuple(float(x) for x in mean), tuple(float(x) for x in std))  # type: ignore[arg-type]
    raise _bad(model, "values", value, '"unit", "symmetric" or {"mean": [r, g, b], "std": [r, g, b]}')
