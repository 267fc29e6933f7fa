"""Pack the ONNX graphs into AI Hub style release zips: app/kinetoscope/data/models/motion_demo-onnx-{float,w8a8}.zip.

Each zip holds one folder `motion_demo-onnx-{precision}/` with `motion_demo.onnx`, `metadata.json`
and `motion_demo_labels.txt`; the w8a8 zip also holds `motion_demo_cpu.onnx`, the same integer model
laid out for onnxruntime's CPU kernels (`models/i3d_kinetics/cpu_graph.py`), named by metadata.json.
Entries have fixed timestamps and order, so a rebuild from the same graph gives the same bytes.

    python models/motion_demo/bundle.py               # zip work/*.onnx (after the earlier build steps)
    python models/motion_demo/bundle.py --from-zips   # re-zip the graphs of the committed zips
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import onnx
import onnxruntime

from config import (
    FLOAT_ONNX, INPUT_NAME, INPUT_SHAPE, MODEL_ID, MODEL_NAME, MODELS, OUTPUT_NAME, W8A8_ONNX,
)
from kinetoscope.engine.media.synthetic import MOTION_LABELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "i3d_kinetics"))
import cpu_graph  # noqa: E402  (the I3D build's QDQ rewrite, shared)

LABELS_FILE = f"{MODEL_ID}_labels.txt"
CPU_GRAPH_FILE = f"{MODEL_ID}_cpu.onnx"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def metadata(precision: str, *, cpu_graph: bool = False) -> dict:
    extra = {"kinetoscope": {"format": 1, "cpu_graph": CPU_GRAPH_FILE}} if cpu_graph else {}
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
        **extra,
    }


def write_zip(graph: bytes, precision: str, meta: dict | None = None) -> Path:
    """The release zip of `graph` (ONNX bytes); a quantized graph gets its CPU variant beside it.

    `meta` keeps an existing metadata.json (its tool versions are those that made the graph).
    """
    folder = f"{MODEL_ID}-onnx-{precision}"
    target = MODELS / f"{folder}.zip"
    cpu = cpu_graph.cpu_variant(onnx.load_from_string(graph)) if precision != "float" else None
    meta = dict(meta or metadata(precision))
    if cpu is not None:
        meta["kinetoscope"] = metadata(precision, cpu_graph=True)["kinetoscope"]
    entries = {
        f"{folder}/{MODEL_ID}.onnx": graph,
        f"{folder}/metadata.json": (json.dumps(meta, indent=2) + "\n").encode(),
        f"{folder}/{LABELS_FILE}": ("\n".join(MOTION_LABELS) + "\n").encode(),
    }
    if cpu is not None:
        entries[f"{folder}/{CPU_GRAPH_FILE}"] = cpu.SerializeToString()
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


def from_zip(precision: str) -> tuple[bytes, dict]:
    """The main graph and the metadata of the committed zip for `precision`."""
    folder = f"{MODEL_ID}-onnx-{precision}"
    with zipfile.ZipFile(io.BytesIO((MODELS / f"{folder}.zip").read_bytes())) as zf:
        return zf.read(f"{folder}/{MODEL_ID}.onnx"), json.loads(zf.read(f"{folder}/metadata.json"))


def main(from_zips: bool = False) -> dict:
    if from_zips:  # only the w8a8 zip changes: the float one has nothing to add
        graph, meta = from_zip("w8a8")
        return {"w8a8_zip_bytes": write_zip(graph, "w8a8", meta).stat().st_size}
    return {"float_zip_bytes": write_zip(FLOAT_ONNX.read_bytes(), "float").stat().st_size,
            "w8a8_zip_bytes": write_zip(W8A8_ONNX.read_bytes(), "w8a8").stat().st_size}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Zip the motion_demo graphs.")
    parser.add_argument("--from-zips", action="store_true", help="take the graphs from the committed zips")
    main(parser.parse_args().from_zips)
