"""Small ONNX video classifiers and AI Hub-style bundles built on the fly for tests.

The graphs are real (onnxruntime runs them on the CPU and the HTP simulator) but tiny, so tests
stay fast. Bundles follow ai-hub-bundles.md: a top folder, metadata.json, labels file, and either
a single .onnx or a subfolder with the graph and its external weights.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = np.array([0.43216, 0.394666, 0.37645], np.float32).reshape(1, 3, 1, 1, 1)
STD = np.array([0.22803, 0.22145, 0.216989], np.float32).reshape(1, 3, 1, 1, 1)
IR_VERSION = 10  # onnxruntime 1.31 reads IR <= 13


def tiny_classifier(classes: int = 9, *, frames: int = 16, size: int = 112, seed: int = 0,
                    softmax: bool = True, quantized_io: bool = False, input_shape: list[int] | None = None,
                    weight_elems: int = 0) -> onnx.ModelProto:
    """A small Conv3d video classifier: normalise, conv, relu, pool, linear, softmax.

    `quantized_io` makes the graph take uint8 video and give uint8 probabilities (scale and zero
    point in Q/DQ nodes), like a quantized AI Hub export. `weight_elems` pads the graph with an
    unused-by-shape but real weight of that many floats, to make external data worthwhile.
    """
    rng = np.random.default_rng(seed)
    shape = input_shape or [1, 3, frames, size, size]
    nodes, inits = [], []

    def init(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    x = "video"
    if quantized_io:
        nodes.append(helper.make_node("DequantizeLinear", ["video", init("in_scale", np.array(1 / 255, np.float32)),
                                                           init("in_zp", np.array(0, np.uint8))], ["video_f"]))
        x = "video_f"
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
                        top_folder: bool = True, labels: list[str] | None = None) -> Path:
    """Lay out a bundle as AI Hub's ONNX release zips do; return the folder that would be zipped."""
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
    (base / labels_name).write_text("\n".join(labels) + "\n")
    if metadata:
        in_t = model.graph.input[0]
        dtype = "uint8" if in_t.type.tensor_type.elem_type == TensorProto.UINT8 else "float32"
        meta = {
            "model_id": model_id, "model_name": model_id.replace("_", " ").title(), "runtime": "onnx",
            "precision": precision, "tool_versions": {"onnx_runtime": "1.31.1"},
            "model_files": {rel: {
                "inputs": {in_t.name: {"shape": [d.dim_value for d in in_t.type.tensor_type.shape.dim],
                                       "dtype": dtype, "io_type": "tensor", "value_range": [0, 1]}},
                "outputs": {"class_probs": {"shape": [1, classes], "dtype": dtype,
                                            "softmax_applied": True, "labels_file": labels_name}},
            }},
            "supplementary_files": {labels_name: "class labels"},
            "use_case": "Video Classification",
        }
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
