"""Where a model's CPU time goes: onnxruntime's profile per node, float against w8a8, in one run.

For each graph it opens an onnxruntime CPU session the way the app does (all optimisations, one
thread per physical core), times `--runs` inferences on the same random input after a warm-up
(the graphs take turns, so machine noise hits them alike; medians reported), then profiles
`--profiled` more with onnxruntime's own profiler (`SessionOptions.enable_profiling`) and prints
the optimised graph's nodes by kernel (what onnxruntime really runs, after its fusions and layout
changes) and the time per kernel type.

    .venv/bin/python bench/node_profile.py [--model i3d_kinetics] [--runs 5] [--profiled 2] [--top 8]

The graphs: the float bundle's, the w8a8 bundle's QDQ graph (what the NPU runs), and, when the
w8a8 bundle carries one, its CPU variant (what the app runs on the CPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from kinetoscope.engine.inference.session import CpuConfig
from kinetoscope.engine.modelfiles.bundle import open_bundle
from kinetoscope.engine.modelfiles.model_store import resolve_model


def graphs(model: str) -> dict[str, Path]:
    """Name -> ONNX file of each graph to compare."""
    found = {"float": open_bundle(resolve_model(model, "float")).onnx_path}
    w8a8 = open_bundle(resolve_model(model, "w8a8"))
    found["w8a8 QDQ (NPU graph)"] = w8a8.onnx_path
    if w8a8.cpu_graph is not None:
        found["w8a8 CPU variant"] = w8a8.cpu_graph
    return found


def session(path: Path, folder: Path, profile: bool) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = CpuConfig().resolved_threads()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile:
        so.enable_profiling = True
        so.profile_file_prefix = str(folder / path.stem)
        so.optimized_model_filepath = str(folder / f"{path.parent.name}.opt.onnx")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="i3d_kinetics", help="model id with float and w8a8 bundles")
    parser.add_argument("--runs", type=int, default=5, help="timed inferences per graph (interleaved)")
    parser.add_argument("--profiled", type=int, default=2, help="profiled inferences per graph")
    parser.add_argument("--top", type=int, default=8, help="kernel types listed per graph")
    args = parser.parse_args()

    paths = graphs(args.model)
    with tempfile.TemporaryDirectory(prefix="node-profile-") as tmp:
        folder = Path(tmp)
        sessions = {name: session(path, folder, profile=False) for name, path in paths.items()}
        first = next(iter(sessions.values())).get_inputs()[0]
        x = np.random.default_rng(0).integers(0, 256, first.shape).astype(np.float32) / 255
        times: dict[str, list[float]] = defaultdict(list)
        for s in sessions.values():
            s.run(None, {first.name: x})  # warm-up
        for _ in range(args.runs):
            for name, s in sessions.items():
                started = time.perf_counter()
                s.run(None, {first.name: x})
                times[name].append(time.perf_counter() - started)
        del sessions
        base = statistics.median(times["float"])
        print(f"{args.model} on the CPU ({CpuConfig().describe()}), onnxruntime {ort.__version__}; "
              f"per view, median of {args.runs} (interleaved):\n")
        print("| graph | per view (ms) | / float |")
        print("|---|---|---|")
        for name, runs in times.items():
            print(f"| {name} | {statistics.median(runs) * 1000:.0f} | {statistics.median(runs) / base:.2f}x |")

        for name, path in paths.items():
            folder_n = folder / name.split()[0].replace(" ", "_")
            folder_n.mkdir(exist_ok=True)
            s = session(path, folder_n, profile=True)
            for _ in range(args.profiled):
                s.run(None, {first.name: x})
            events = json.loads(Path(s.end_profiling()).read_text())
            optimised = onnx.load(next(folder_n.glob("*.opt.onnx")), load_external_data=False)
            kernels = Counter(n.op_type for n in optimised.graph.node)
            by_op: dict[str, float] = defaultdict(float)
            for e in events:
                if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
                    by_op[e["args"]["op_name"]] += e["dur"] / 1000 / args.profiled
            total = sum(by_op.values())
            print(f"\n{name}: {len(optimised.graph.node)} nodes after optimisation: "
                  + ", ".join(f"{op} {n}" for op, n in kernels.most_common()))
            print("| kernel | nodes | ms per view | share |")
            print("|---|---|---|---|")
            for op, ms in sorted(by_op.items(), key=lambda kv: -kv[1])[:args.top]:
                print(f"| {op} | {kernels.get(op, 0)} | {ms:.0f} | {100 * ms / total:.0f} % |")


if __name__ == "__main__":
    sys.exit(main())
