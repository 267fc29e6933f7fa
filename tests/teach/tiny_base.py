"""A tiny base model with a features output, installed into the test's data folder: fast enough for
tests of the teaching machinery (sets, cache, saving, CLI) that do not need I3D's features."""

from __future__ import annotations

from pathlib import Path

from onnx import TensorProto, helper

from kinetoscope.engine.modelfiles.model_install import install_zip
from model_factory import tiny_classifier, write_bundle_folder, zip_folder

TINY_ID = "tiny_base"


def install_tiny_base(tmp: Path) -> str:
    """Install `tiny_base` (float): a tiny classifier whose pooled 8 channels are also an output."""
    model = tiny_classifier(9)
    model.graph.output.append(helper.make_tensor_value_info("flat", TensorProto.FLOAT, [1, 8]))
    folder = write_bundle_folder(tmp / "tiny-src", model, model_id=TINY_ID, kinetoscope={"features": "flat"})
    install_zip(zip_folder(folder, tmp / f"{TINY_ID}-onnx-float.zip"))
    return TINY_ID
