"""A taught model: the base model's features graph and the trained linear head, merged into one ONNX.

The base graph keeps everything that leads to its features output (its own class output and the
nodes only that used are dropped); the head reads the features and ends in a softmax over the
taught actions plus "none of the taught actions". The head stays float32 for a w8a8 base too:
the QNN HTP runs its five small nodes in fp16, so the whole graph still runs on the NPU (checked
by the tests on the HTP simulator). The result is an ordinary model zip: installing it puts it in
the models folder under the set's name, and classify, scan, live, bench and the window use it as
they use any model.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kinetoscope.engine.modelfiles.bundle import ModelBundle
from kinetoscope.engine.teach.motion import MotionNodes, motion_nodes
from kinetoscope.engine.teach.onnx_edit import FLOAT, Addition, Node, splice, value_info
from kinetoscope.engine.teach.probe import NONE_LABEL, LinearHead

CLASS_OUTPUT = "action_probs"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def head_addition(head: LinearHead, features: str, motion: MotionNodes | None = None) -> Addition:
    """The head's nodes over the tensor `features` [1, D] (and the motion numbers `motion` computes,
    side by side with it), ending in CLASS_OUTPUT [1, K + 1]."""
    classes = head.weights.shape[1]
    nodes: list[Node] = []
    inits: list[tuple[str, np.ndarray]] = []
    if motion is not None:
        nodes += [*motion.nodes, Node("Concat", (features, motion.output), ("head/input",), "head/input",
                                      ints=(("axis", 1),))]
        inits += motion.initializers
        features = "head/input"
    nodes.append(Node("Sub", (features, "head/centre"), ("head/centred",), "head/centre"))
    x = "head/centred"
    if head.normalise and len(head.blocks) > 1:
        # Each block to unit length on its own: x / sqrt(|x_block|^2 + floor^2), with the blocks'
        # squared lengths summed and spread back by a 0/1 matrix (no Split, which the HTP may lay out badly).
        member = np.zeros((head.weights.shape[0], len(head.blocks)), np.float32)
        start = 0
        for b, block in enumerate(head.blocks):
            member[start:start + block.size, b] = 1.0
            start += block.size
        floors = np.array([[b.floor ** 2 for b in head.blocks]], np.float32)
        nodes += [Node("Mul", (x, x), ("head/squares",), "head/squares"),
                  Node("MatMul", ("head/squares", "head/blocks"), ("head/block_sq",), "head/block_sq"),
                  Node("Add", ("head/block_sq", "head/floors"), ("head/block_sq_floor",), "head/block_floor"),
                  Node("Sqrt", ("head/block_sq_floor",), ("head/block_len",), "head/block_len"),
                  Node("MatMul", ("head/block_len", "head/blocks_t"), ("head/lengths",), "head/lengths"),
                  Node("Div", (x, "head/lengths"), ("head/unit",), "head/unit")]
        inits += [("head/blocks", member), ("head/blocks_t", np.ascontiguousarray(member.T)),
                  ("head/floors", floors)]
        x = "head/unit"
    elif head.normalise:
        nodes.append(Node("LpNormalization", (x,), ("head/unit",), "head/unit", ints=(("axis", 1), ("p", 2))))
        x = "head/unit"
    # The spread and the scale fold into the weights: (f - c) / s @ W * a = (f - c) @ (W * a / s).
    weights = (head.weights / head.spread[:, None] * head.scale).astype(np.float32)
    nodes += [Node("MatMul", (x, "head/weights"), ("head/scores",), "head/scores"),
              Node("Add", ("head/scores", "head/bias"), ("head/logits",), "head/logits"),
              Node("Softmax", ("head/logits",), (CLASS_OUTPUT,), "head/softmax", ints=(("axis", 1),))]
    inits += [("head/centre", head.centre[None, :].astype(np.float32)), ("head/weights", weights),
              ("head/bias", head.bias[None, :].astype(np.float32))]
    return Addition(tuple(nodes), tuple(inits), (value_info(CLASS_OUTPUT, FLOAT, (1, classes)),))


def merged_graph(base: ModelBundle, head: LinearHead, with_motion: bool = False, *, cpu: bool = False) -> bytes:
    """The base's features graph with `head` on top (serialized): outputs CLASS_OUTPUT and the features.

    `with_motion`: the head also reads the motion numbers (motion.py), computed from the input.
    `cpu`: start from the base's CPU graph (its `cpu_graph`, when it has one) instead of its main one."""
    if base.features is None:
        raise ValueError("the base model has no features output")
    motion = None
    if with_motion:
        _, _, frames, height, width = base.recipe.input_shape
        motion = motion_nodes(base.input.name, frames, height, width)
    source = base.cpu_onnx_path if cpu else base.onnx_path
    return splice(source.read_bytes(), base.output.name, head_addition(head, base.features.name, motion))


def cpu_graph_name(name: str) -> str:
    """The file of a taught model's CPU graph, made when its base has one (w8a8: see the own-model chapter)."""
    return f"{name}_cpu.onnx"


def metadata(name: str, base: ModelBundle, labels: tuple[str, ...], taught: dict[str, Any]) -> dict[str, Any]:
    """metadata.json of a taught model (AI Hub's fields and the "kinetoscope" key); it names a CPU
    graph when the base has one."""
    recipe = {k: v for k, v in base.recipe.to_json().items() if k != "origin"}
    classes = [*labels, NONE_LABEL]
    features = base.features
    assert features is not None
    return {
        "model_id": name,
        "model_name": f"{name} (taught on {base.name})",
        "runtime": "onnx",
        "precision": base.precision,
        "model_files": {f"{name}.onnx": {
            "inputs": {base.input.name: {"shape": list(base.input.shape), "dtype": base.input.dtype,
                                         "io_type": "tensor", "value_range": [0.0, 1.0]}},
            "outputs": {CLASS_OUTPUT: {"shape": [1, len(classes)], "dtype": "float32", "io_type": "tensor",
                                       "softmax_applied": True},
                        features.name: {"shape": list(features.shape), "dtype": "float32", "io_type": "tensor"}},
        }},
        "use_case": "Video Classification",
        "kinetoscope": {"format": 1, "recipe": recipe, "features": features.name, "labels": classes,
                        "rejection_label": NONE_LABEL, "taught": taught,
                        **({"cpu_graph": cpu_graph_name(name)} if base.cpu_graph is not None else {})},
    }


def write_model_zip(target: Path, name: str, model: bytes, meta: dict[str, Any],
                    cpu_model: bytes | None = None) -> None:
    """`target` as a release zip `<name>-onnx-<precision>/…` (write it in a temporary folder and move it);
    `cpu_model` is the CPU graph that `meta` names, if any."""
    folder = f"{name}-onnx-{meta['precision']}"
    cpu_entry = {f"{folder}/{cpu_graph_name(name)}": cpu_model} if cpu_model is not None else {}
    entries = {f"{folder}/{name}.onnx": model, **cpu_entry,
               f"{folder}/metadata.json": (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for entry in sorted(entries):
            info = zipfile.ZipInfo(entry, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[entry])
