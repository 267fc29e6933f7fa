"""A tiny base model with a features output, installed into the test's data folder: fast enough for
tests of the teaching machinery (sets, cache, saving, CLI) that do not need I3D's features."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from kinetoscope.engine.modelfiles.model_install import install_zip
from model_factory import tiny_classifier, write_bundle_folder, zip_folder

TINY_ID = "tiny_base"
CPU_GRAPH = "tiny_base_cpu.onnx"


def _with_features(seed: int) -> onnx.ModelProto:
    model = tiny_classifier(9, seed=seed)
    model.graph.output.append(helper.make_tensor_value_info("flat", TensorProto.FLOAT, [1, 8]))
    return model


def install_tiny_base(tmp: Path, *, cpu_graph: bool = False) -> str:
    """Install `tiny_base`: a tiny classifier whose pooled 8 channels are also an output. With
    `cpu_graph`, as "w8a8" with a CPU graph beside its main one (another seed's weights, so which
    graph ran shows in the numbers), as the bundled w8a8 I3D has."""
    precision = "w8a8" if cpu_graph else "float"
    ours: dict[str, object] = {"features": "flat", **({"cpu_graph": CPU_GRAPH} if cpu_graph else {})}
    folder = write_bundle_folder(tmp / f"tiny-src-{precision}", _with_features(0), model_id=TINY_ID,
                                 precision=precision, kinetoscope=ours)
    if cpu_graph:
        onnx.save(_with_features(1), str(folder / CPU_GRAPH))
    install_zip(zip_folder(folder, tmp / f"{TINY_ID}-onnx-{precision}.zip"))
    return TINY_ID
