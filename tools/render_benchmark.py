"""Run the Benchmark window on the demo model (float and w8a8, CPU and NPU) and save it as a PNG.

    .venv/bin/python tools/render_benchmark.py [--runs N] [--out PNG]

The run is real: on this Linux x86-64 machine the NPU cells come from Qualcomm's HTP simulator and
say so. Writes resources/screenshots/benchmark_view.png unless --out says otherwise; settings and
caches go to a throwaway data folder unless KINETOSCOPE_HOME is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "app" / "kinetoscope" / "data" / "samples" / "sample_rotating_clockwise.mp4"
DEFAULT_OUT = REPO / "resources" / "screenshots" / "benchmark_view.png"
SIZE = (1280, 860)
TIMEOUT_S = 900


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per cell (default 10)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["KINETOSCOPE_HOME"] = os.environ.get("KINETOSCOPE_HOME") or tempfile.mkdtemp(prefix="kinetoscope-bench-")

    from kinetoscope.engine.modelfiles.model_store import DEMO_MODEL_ID
    from kinetoscope.ui.app import application
    from kinetoscope.ui.benchmark.view import BenchmarkView

    app = application()
    view = BenchmarkView(clip=SAMPLE)
    view.resize(*SIZE)
    view.show()
    controls = view.controls
    controls.model_combo.setCurrentIndex(controls.model_combo.findData(DEMO_MODEL_ID))
    controls.warmup_spin.setValue(1)
    controls.runs_spin.setValue(args.runs)
    outcome: list[str] = []
    view.finished.connect(lambda result: outcome.append("finished"))
    if not view.start():          # the controls' own request, as the Run button makes it
        print("the demo model cannot be benchmarked here", file=sys.stderr)
        return 1
    deadline = time.monotonic() + TIMEOUT_S
    while view.running and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.02)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ok = view.grab().save(str(args.out))
    print(f"{args.out}: {'saved' if ok else 'NOT saved'}; {view.status.text()}")
    view.shutdown()
    return 0 if ok and outcome else 1


if __name__ == "__main__":
    sys.exit(main())
