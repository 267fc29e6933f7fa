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
from kinetoscope.engine.teach.onnx_edit import FLOAT, Addition, Node, splice, value_info
from kinetoscope.engine.teach.probe import NONE_LABEL, LinearHead

CLASS_OUTPUT = "action_probs"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def head_addition(head: LinearHead, features: str) -> Addition:
    """The head's nodes over the tensor `features` [1, D], ending in CLASS_OUTPUT [1, K + 1]."""
    classes = head.weights.shape[1]
    nodes = [Node("Sub", (features, "head/centre"), ("head/centred",), "head/centre")]
    x = "head/centred"
    if head.normalise:
        nodes.append(Node("LpNormalization", (x,), ("head/unit",), "head/unit", ints=(("axis", 1), ("p", 2))))
        x = "head/unit"
    # The spread and the scale fold into the weights: (f - c) / s @ W * a = (f - c) @ (W * a / s).
    weights = (head.weights / head.spread[:, None] * head.scale).astype(np.float32)
    nodes += [Node("MatMul", (x, "head/weights"), ("head/scores",), "head/scores"),
              Node("Add", ("head/scores", "head/bias"), ("head/logits",), "head/logits"),
              Node("Softmax", ("head/logits",), (CLASS_OUTPUT,), "head/softmax", ints=(("axis", 1),))]
    inits = (("head/centre", head.centre[None, :].astype(np.float32)), ("head/weights", weights),
             ("head/bias", head.bias[None, :].astype(np.float32)))
    return Addition(tuple(nodes), inits, (value_info(CLASS_OUTPUT, FLOAT, (1, classes)),))


def merged_graph(base: ModelBundle, head: LinearHead) -> bytes:
    """The base's features graph with `head` on top (serialized): outputs CLASS_OUTPUT and the features."""
    if base.features is None:
        raise ValueError("the base model has no features output")
    return splice(base.onnx_path.read_bytes(), base.output.name, head_addition(head, base.features.name))


def metadata(name: str, base: ModelBundle, labels: tuple[str, ...], taught: dict[str, Any]) -> dict[str, Any]:
    """metadata.json of a taught model (AI Hub's fields and the "kinetoscope" key)."""
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
                        "rejection_label": NONE_LABEL, "taught": taught},
    }


def write_model_zip(target: Path, name: str, model: bytes, meta: dict[str, Any]) -> None:
    """`target` as a release zip `<name>-onnx-<precision>/…` (write it in a temporary folder and move it)."""
    folder = f"{name}-onnx-{meta['precision']}"
    entries = {f"{folder}/{name}.onnx": model,
               f"{folder}/metadata.json": (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for entry in sorted(entries):
            info = zipfile.ZipInfo(entry, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[entry])
