"""Pack the ONNX graphs into AI Hub style release zips: app/kinetoscope/data/models/motion_demo-onnx-{float,w8a8}.zip.

Each zip holds one folder `motion_demo-onnx-{precision}/` with `motion_demo.onnx`, `metadata.json`
and `motion_demo_labels.txt`. Entries have fixed timestamps and order, so a rebuild from the same
graph gives the same bytes.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import onnx
import onnxruntime

from config import (
    FLOAT_ONNX, INPUT_NAME, INPUT_SHAPE, MODEL_ID, MODEL_NAME, MODELS, OUTPUT_NAME, W8A8_ONNX,
)
from kinetoscope.engine.demo.synthetic import MOTION_LABELS

LABELS_FILE = f"{MODEL_ID}_labels.txt"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def metadata(precision: str) -> dict:
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
                        "shape": list(INPUT_SHAPE),
                        "dtype": "float32",
                        "io_type": "tensor",
                        "value_range": [0.0, 1.0],
                        "image_metadata": {"color_format": "rgb"},
                    }
                },
                "outputs": {
                    OUTPUT_NAME: {
                        "shape": [1, len(MOTION_LABELS)],
                        "dtype": "float32",
                        "io_type": "tensor",
                        "softmax_applied": True,
                        "labels_file": LABELS_FILE,
                    }
                },
            }
        },
        "supplementary_files": {LABELS_FILE: "Class labels, one per line, in output index order."},
        "use_case": "Video Classification",
    }


def write_zip(graph: Path, precision: str) -> Path:
    folder = f"{MODEL_ID}-onnx-{precision}"
    target = MODELS / f"{folder}.zip"
    entries = {
        f"{folder}/{MODEL_ID}.onnx": graph.read_bytes(),
        f"{folder}/metadata.json": (json.dumps(metadata(precision), indent=2) + "\n").encode(),
        f"{folder}/{LABELS_FILE}": ("\n".join(MOTION_LABELS) + "\n").encode(),
    }
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, payload in entries.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, payload)
    tmp.replace(target)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB)")
    return target


def main() -> dict:
    return {
        "float_zip_bytes": write_zip(FLOAT_ONNX, "float").stat().st_size,
        "w8a8_zip_bytes": write_zip(W8A8_ONNX, "w8a8").stat().st_size,
    }


if __name__ == "__main__":
    main()
