"""Which nodes of an exported zoo graph the HTP takes, as the app's device report says.

    .venv/bin/python models/pytorchvideo_check/htp_coverage.py BUNDLE_FOLDER [--run]

Runs in the app's environment: opens the bundle on the NPU (here the x86 HTP simulator) exactly as
`kinetoscope classify --device npu` does and prints the report: nodes in all, and the nodes that
fell back to the CPU grouped by operator, with their names. `--run` also runs one view of random
values on it and on the CPU and prints the largest probability difference (slow on the simulator).
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np
import onnx

from kinetoscope.engine.inference.session import ModelSession
from kinetoscope.engine.modelfiles.bundle import open_bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--run", action="store_true", help="also run one view on the NPU and the CPU")
    args = parser.parse_args()
    bundle = open_bundle(args.bundle)
    graph = onnx.load(str(bundle.onnx_path), load_external_data=False).graph
    op_of = {node.name: node.op_type for node in graph.node}
    started = time.perf_counter()
    session = ModelSession(bundle, "npu")
    report = session.report
    print(f"{bundle.model_id}: {report.summary()}; session ready in {time.perf_counter() - started:.0f} s")
    by_op = collections.defaultdict(list)
    for name in report.fallback_nodes:
        # The report names nodes "OpType:node name".
        op, _, node = name.partition(":")
        by_op[op_of.get(node, op)].append(node or name)
    for op, names in sorted(by_op.items(), key=lambda item: -len(item[1])):
        print(f"  on the CPU: {len(names)} x {op}: {', '.join(names[:6])}{' …' if len(names) > 6 else ''}")
    if args.run:
        video = np.random.default_rng(0).random((1, *bundle.recipe.input_shape[1:]), dtype=np.float32)
        t0 = time.perf_counter()
        npu = session.run(video)
        t1 = time.perf_counter()
        cpu = ModelSession(bundle, "cpu").run(video)
        print(f"  one view on the simulator: {t1 - t0:.0f} s; max |Δp| vs CPU {np.abs(npu - cpu).max():.2e}, "
              f"top-1 {'same' if npu.argmax() == cpu.argmax() else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
