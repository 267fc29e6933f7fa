"""Does the w8a8 graph run wholly on the QNN HTP, and does it agree with the CPU?

    .venv/bin/python models/i3d_kinetics/check_npu.py --zips DIR [--clip PATH] [--views N]

Creates a session through onnxruntime-qnn's plugin EP with CPU fallback disabled (so creation
fails if any node would not run on the HTP), records which EP each node was assigned to, then runs
the first N views of the clip (default: the arm-wrestling clip, 1 view) on the HTP and on the CPU
and compares them. On Linux x86-64 the HTP is Qualcomm's simulator: slow, for correctness only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import clips  # noqa: E402
from config import INPUT_NAME, LABELS, MEDIA, MODEL_ID, RECIPE  # noqa: E402

HTP_OPTIONS = {"backend_type": "htp", "soc_model": "60", "offload_graph_io_quantization": "0"}


def htp_session(model_path: Path) -> ort.InferenceSession:
    """A session whose every node is on the QNN HTP, or an exception."""
    import onnxruntime_qnn

    folder = os.path.dirname(onnxruntime_qnn.get_library_path())
    os.environ["ADSP_LIBRARY_PATH"] = os.pathsep.join(filter(None, [folder, os.environ.get("ADSP_LIBRARY_PATH")]))
    ort.register_execution_provider_library("QNNExecutionProvider", onnxruntime_qnn.get_library_path())
    devices = [d for d in ort.get_ep_devices() if d.ep_name == "QNNExecutionProvider"]
    if not devices:
        raise RuntimeError("no QNNExecutionProvider device")
    so = ort.SessionOptions()
    so.add_provider_for_devices(devices, HTP_OPTIONS)
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    return ort.InferenceSession(str(model_path), sess_options=so)


def assignment(sess: ort.InferenceSession) -> dict[str, int]:
    """How many nodes each execution provider was given."""
    counts: Counter[str] = Counter()
    for subgraph in sess.get_provider_graph_assignment_info():
        counts[subgraph.ep_name] += len(subgraph.get_nodes())
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zips", type=Path, required=True, help="the folder build.py wrote the zips to")
    parser.add_argument("--clip", type=Path, default=MEDIA / "arm_wrestling_340x256_28fps.mp4")
    parser.add_argument("--views", type=int, default=1, help="how many of the recipe's views to run on the HTP")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    labels = LABELS.read_text().splitlines()
    with zipfile.ZipFile(args.zips / f"{MODEL_ID}-onnx-w8a8.zip") as zf, tempfile.TemporaryDirectory() as tmp:
        member = next(n for n in zf.namelist() if n.endswith(".onnx"))
        model_path = Path(tmp) / "w8a8.onnx"
        model_path.write_bytes(zf.read(member))
        model = onnx.load(model_path)
        frames = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
        nodes = len(model.graph.node)
        t0 = time.perf_counter()
        htp = htp_session(model_path)
        compile_s = time.perf_counter() - t0
        placed = assignment(htp)
        print(f"HTP session: {nodes} nodes in the graph, assigned {placed}, created in {compile_s:.1f} s")
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        cpu = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
        views = clips.views_of(clips.decode(args.clip), RECIPE["sampling"], frames, RECIPE["views"])[: args.views]
        rows = []
        for i, view in enumerate(views):
            t0 = time.perf_counter()
            p_htp = htp.run(None, {INPUT_NAME: view})[0][0]
            htp_s = time.perf_counter() - t0
            p_cpu = cpu.run(None, {INPUT_NAME: view})[0][0]
            row = {"view": i, "htp_seconds": round(htp_s, 1), "top1_htp": labels[int(p_htp.argmax())],
                   "top1_cpu": labels[int(p_cpu.argmax())], "p_top1_htp": float(p_htp.max()),
                   "p_top1_cpu": float(p_cpu.max()), "max_abs_prob_diff": float(np.abs(p_htp - p_cpu).max())}
            rows.append(row)
            print(f"view {i}: HTP {htp_s:.1f} s, top-1 HTP '{row['top1_htp']}' ({row['p_top1_htp']:.3f}) "
                  f"CPU '{row['top1_cpu']}' ({row['p_top1_cpu']:.3f}), max |Δp| {row['max_abs_prob_diff']:.4f}")
    figures = {"clip": args.clip.name, "frames": frames, "graph_nodes": nodes, "assigned": placed,
               "session_seconds": round(compile_s, 1), "views": rows, "options": HTP_OPTIONS,
               "onnxruntime": ort.__version__}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if set(placed) != {"QNNExecutionProvider"} or any(r["top1_htp"] != r["top1_cpu"] for r in rows):
        raise SystemExit("FAILED: not every node on the HTP, or HTP and CPU disagree")


if __name__ == "__main__":
    main()
