"""Small ONNX video classifiers and AI Hub-style bundles built on the fly for tests.

The graphs are real (onnxruntime runs them on the CPU and the HTP simulator) but tiny, so tests
stay fast. Bundles follow ai-hub-bundles.md: a top folder, metadata.json, labels file, and either
a single .onnx or a subfolder with the graph and its external weights.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = np.array([0.43216, 0.394666, 0.37645], np.float32).reshape(1, 3, 1, 1, 1)
STD = np.array([0.22803, 0.22145, 0.216989], np.float32).reshape(1, 3, 1, 1, 1)
IR_VERSION = 10  # onnxruntime 1.31 reads IR <= 13


def tiny_classifier(classes: int = 9, *, frames: int = 16, size: int = 112, seed: int = 0,
                    softmax: bool = True, quantized_io: bool = False, input_shape: list[int] | None = None,
                    weight_elems: int = 0, channels_last: bool = False) -> onnx.ModelProto:
    """A small Conv3d video classifier: normalise, conv, relu, pool, linear, softmax.

    `quantized_io` makes the graph take uint8 video and give uint8 probabilities (scale and zero
    point in Q/DQ nodes), like a quantized AI Hub export. `weight_elems` pads the graph with an
    unused-by-shape but real weight of that many floats, to make external data worthwhile.
    `channels_last` makes the input [1, T, H, W, 3] (NTHWC), transposed inside the graph.
    """
    rng = np.random.default_rng(seed)
    shape = input_shape or ([1, frames, size, size, 3] if channels_last else [1, 3, frames, size, size])
    nodes, inits = [], []

    def init(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    x = "video"
    if quantized_io:
        nodes.append(helper.make_node("DequantizeLinear", ["video", init("in_scale", np.array(1 / 255, np.float32)),
                                                           init("in_zp", np.array(0, np.uint8))], ["video_f"]))
        x = "video_f"
    if channels_last:
        nodes.append(helper.make_node("Transpose", [x], ["video_ncthw"], perm=[0, 4, 1, 2, 3]))
        x = "video_ncthw"
    nodes += [
        helper.make_node("Sub", [x, init("mean", MEAN)], ["centred"]),
        helper.make_node("Div", ["centred", init("std", STD)], ["normed"]),
        helper.make_node("Conv", ["normed", init("w1", rng.normal(0, 0.2, (8, 3, 3, 7, 7)).astype(np.float32)),
                                  init("b1", np.zeros(8, np.float32))], ["c1"],
                         strides=[2, 8, 8], pads=[1, 3, 3, 1, 3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("GlobalAveragePool", ["r1"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
    ]
    w2 = rng.normal(0, 1.0, (8, classes)).astype(np.float32)
    if weight_elems:
        # Make the weight bigger than needed and slice it, so the file holds real bulk.
        big = rng.normal(0, 1.0, (weight_elems,)).astype(np.float32)
        big[: w2.size] = w2.reshape(-1)
        nodes += [helper.make_node("Slice", [init("big", big), init("s0", np.array([0], np.int64)),
                                             init("s1", np.array([w2.size], np.int64))], ["w2flat"]),
                  helper.make_node("Reshape", ["w2flat", init("w2shape", np.array([8, classes], np.int64))], ["w2"])]
    else:
        init("w2", w2)
    nodes.append(helper.make_node("Gemm", ["flat", "w2", init("b2", np.zeros(classes, np.float32))], ["logits"]))
    out = "class_probs"
    last = "logits"
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1))
        last = "probs"
    if quantized_io:
        nodes.append(helper.make_node("QuantizeLinear", [last, init("out_scale", np.array(1 / 256, np.float32)),
                                                         init("out_zp", np.array(0, np.uint8))], [out]))
    else:
        nodes.append(helper.make_node("Identity", [last], [out]))
    io_type = TensorProto.UINT8 if quantized_io else TensorProto.FLOAT
    graph = helper.make_graph(nodes, "tiny_video_classifier",
                              [helper.make_tensor_value_info("video", io_type, shape)],
                              [helper.make_tensor_value_info(out, io_type, [1, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def image_classifier() -> onnx.ModelProto:
    """A graph with an image input [1,3,224,224]: valid ONNX, but not a video classifier."""
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w"], ["c"]),
         helper.make_node("GlobalAveragePool", ["c"], ["p"]),
         helper.make_node("Flatten", ["p"], ["logits"])],
        "image", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    return model


def labels_for(classes: int) -> list[str]:
    return [f"action {i}" for i in range(classes)]


def write_bundle_folder(root: Path, model: onnx.ModelProto, *, model_id: str = "tiny_video",
                        precision: str = "float", external_data: bool = False, metadata: bool = True,
                        top_folder: bool = True, labels: list[str] | None = None,
                        softmax_applied: bool | None = True, labels_file: bool = True,
                        kinetoscope: dict[str, Any] | None = None) -> Path:
    """Lay out a bundle as AI Hub's ONNX release zips do; return the folder that would be zipped.

    `softmax_applied` is what metadata.json says of the output (None: it says nothing, so the graph
    decides); `labels_file=False` writes no labels file and names none; `kinetoscope` is put under
    metadata.json's "kinetoscope" key (the input recipe and labels a custom export declares).
    """
    classes = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    labels = labels if labels is not None else labels_for(classes)
    base = root / f"{model_id}-onnx-{precision}" if top_folder else root
    base.mkdir(parents=True, exist_ok=True)
    if external_data:
        rel = f"{model_id}_onnx/{model_id}.onnx"
        (base / f"{model_id}_onnx").mkdir(exist_ok=True)
        onnx.save(model, str(base / rel), save_as_external_data=True, all_tensors_to_one_file=True,
                  location=f"{model_id}.data", size_threshold=1024)
    else:
        rel = f"{model_id}.onnx"
        onnx.save(model, str(base / rel))
    labels_name = f"{model_id}_labels.txt"
    if labels_file:
        (base / labels_name).write_text("\n".join(labels) + "\n")
    if metadata:
        in_t = model.graph.input[0]
        dtype = "uint8" if in_t.type.tensor_type.elem_type == TensorProto.UINT8 else "float32"
        output: dict[str, Any] = {"shape": [1, classes], "dtype": dtype}
        if softmax_applied is not None:
            output["softmax_applied"] = softmax_applied
        if labels_file:
            output["labels_file"] = labels_name
        meta: dict[str, Any] = {
            "model_id": model_id, "model_name": model_id.replace("_", " ").title(), "runtime": "onnx",
            "precision": precision, "tool_versions": {"onnx_runtime": "1.31.1"},
            "model_files": {rel: {
                "inputs": {in_t.name: {"shape": [d.dim_value for d in in_t.type.tensor_type.shape.dim],
                                       "dtype": dtype, "io_type": "tensor", "value_range": [0, 1]}},
                "outputs": {"class_probs": output},
            }},
            "supplementary_files": {labels_name: "class labels"} if labels_file else {},
            "use_case": "Video Classification",
        }
        if kinetoscope is not None:
            meta["kinetoscope"] = kinetoscope
        (base / "metadata.json").write_text(json.dumps(meta, indent=2))
    return base


def zip_folder(folder: Path, zip_path: Path, *, arc_root: str | None = None) -> Path:
    """Zip `folder`; members are stored under `arc_root/` (default: the folder's own name)."""
    prefix = folder.name if arc_root is None else arc_root
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            zf.write(path, f"{prefix}/{rel}" if prefix else rel)
    return zip_path


def channel_probe(*, layout: str = "ncthw", frames: int = 4, size: int = 160) -> onnx.ModelProto:
    """A "classifier" whose 3 outputs are the means of its input's 3 channels, over every frame and
    pixel: fed one solid colour, it shows exactly which values, in which channel order and layout,
    reached the tensor. Its output is not probabilities; declare it as such so none are made."""
    if layout == "ncthw":
        shape, axes = [1, 3, frames, size, size], [2, 3, 4]
    else:
        shape, axes = [1, frames, size, size, 3], [1, 2, 3]
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["video"], ["means"], axes=axes, keepdims=0),
         helper.make_node("Identity", ["means"], ["class_probs"])],
        "channel_probe", [helper.make_tensor_value_info("video", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


@dataclass(frozen=True)
class RecipeCase:
    """A hand-built bundle for one kind of input recipe, and what Kinetoscope must make of it."""

    model_id: str
    classes: int
    frames: int
    size: int
    sampling: dict[str, float]           # the recipe Kinetoscope must end up with, as JSON
    resize: dict[str, Any]
    views: int = 5
    channels_last: bool = False
    softmax: bool = True                  # does the graph end in a Softmax
    softmax_applied: bool | None = True   # what AI Hub's metadata fields say of the output
    labels: tuple[str, ...] | None = None  # the labels file's names (None: "action N")
    labels_file: bool = True
    kinetoscope: dict[str, Any] | None = None

    @property
    def layout(self) -> str:
        return "nthwc" if self.channels_last else "ncthw"

    def label_set(self) -> tuple[str, ...] | None:
        """The names the top 5 must come from; None for Kinetics-400 (the bundled list)."""
        declared = (self.kinetoscope or {}).get("labels")
        if declared is not None:
            return tuple(declared)
        if not self.labels_file:
            return None if self.classes == 400 else tuple(f"class {i}" for i in range(self.classes))
        return self.labels or tuple(labels_for(self.classes))

    def write(self, root: Path) -> Path:
        """The bundle folder (with a top folder, as in a release zip) under `root`."""
        model = tiny_classifier(self.classes, frames=self.frames, size=self.size, softmax=self.softmax,
                                channels_last=self.channels_last)
        return write_bundle_folder(root, model, model_id=self.model_id, softmax_applied=self.softmax_applied,
                                   labels=list(self.labels) if self.labels else None, labels_file=self.labels_file,
                                   kinetoscope=self.kinetoscope)


_RESNET_SAMPLING, _RESNET_RESIZE = {"fps": 15}, {"size": [128, 171]}
_MAE_SAMPLING, _MAE_RESIZE = {"every": 2}, {"short_side": 256, "antialias": True}
DECLARED_160 = {"sampling": {"fps": 10}, "views": 2,
                "resize": {"short_side": 182, "antialias": False},
                "values": {"mean": [0.1, 0.2, 0.3], "std": [0.5, 0.25, 0.2]},
                "channels": "bgr", "output": "logits"}

# One bundle per kind of model issue 12 asks Kinetoscope to take: the recipe is inferred from the
# graph's size, read from metadata.json, or both; labels come from each place labels can come from.
RECIPE_CASES = {case.model_id: case for case in (
    # 224x224: AI Hub's Video-MAE recipe; 400 classes and no labels file: Kinetics-400's names.
    RecipeCase("mae_224", 400, 16, 224, _MAE_SAMPLING, _MAE_RESIZE, labels_file=False),
    RecipeCase("frames_8", 9, 8, 112, _RESNET_SAMPLING, _RESNET_RESIZE),
    RecipeCase("frames_32", 9, 32, 224, _MAE_SAMPLING, _MAE_RESIZE),
    RecipeCase("channels_last", 9, 16, 112, _RESNET_SAMPLING, _RESNET_RESIZE, channels_last=True),
    # Logits, and nothing in metadata says so: the graph (no Softmax at the end) tells.
    RecipeCase("logits", 5, 16, 112, _RESNET_SAMPLING, _RESNET_RESIZE, softmax=False, softmax_applied=None),
    RecipeCase("ten_classes", 10, 16, 112, _RESNET_SAMPLING, _RESNET_RESIZE,
               labels=("wave", "jump", "clap", "run", "sit", "stand", "kick", "throw", "catch", "bow")),
    # 160x160 fits no known recipe: metadata declares all of it (and that the output is logits,
    # although AI Hub's softmax_applied field says otherwise: the "kinetoscope" key wins).
    RecipeCase("declared_160", 5, 8, 160, {"fps": 10}, {"short_side": 182}, views=2, softmax=False,
               kinetoscope={"format": 1, "recipe": DECLARED_160}),
    # Names in metadata.json win over the labels file the output names.
    RecipeCase("metadata_labels", 6, 16, 112, _RESNET_SAMPLING, _RESNET_RESIZE,
               kinetoscope={"format": 1, "labels": ["squat", "deadlift", "bench press", "pull-up", "push-up",
                                                     "plank"]}),
)}


def two_pathway_classifier(classes: int = 7, *, slow: int = 4, fast: int = 16, size: int = 112, seed: int = 0,
                           names: tuple[str, str] = ("slow", "fast"), softmax: bool = False) -> onnx.ModelProto:
    """A SlowFast-shaped classifier: two video inputs of `slow` and `fast` frames of one view, each
    through its own Conv3d and pool, then concatenated and classified (logits unless `softmax`)."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def init(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    pooled = []
    for name, stride in zip(names, (1, 2)):
        nodes += [
            helper.make_node("Conv", [name, init(f"{name}_w", rng.normal(0, 0.3, (4, 3, 3, 7, 7)).astype(np.float32))],
                             [f"{name}_c"], strides=[stride, 8, 8], pads=[1, 3, 3, 1, 3, 3]),
            helper.make_node("Relu", [f"{name}_c"], [f"{name}_r"]),
            helper.make_node("GlobalAveragePool", [f"{name}_r"], [f"{name}_p"]),
            helper.make_node("Flatten", [f"{name}_p"], [f"{name}_f"], axis=1),
        ]
        pooled.append(f"{name}_f")
    nodes += [helper.make_node("Concat", pooled, ["both"], axis=1),
              helper.make_node("Gemm", ["both", init("w", rng.normal(0, 2.0, (8, classes)).astype(np.float32)),
                                        init("b", np.zeros(classes, np.float32))], ["logits"])]
    nodes.append(helper.make_node("Softmax" if softmax else "Identity", ["logits"], ["class_probs"], **(
        {"axis": 1} if softmax else {})))
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3, t, size, size])
              for n, t in zip(names, (slow, fast))]
    graph = helper.make_graph(nodes, "two_pathway_classifier", inputs,
                              [helper.make_tensor_value_info("class_probs", TensorProto.FLOAT, [1, classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model
