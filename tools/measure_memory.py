"""The window's resident memory as a person uses several models and devices, then clears the list.

    .venv/bin/python tools/measure_memory.py [--clip CLIP] [--npu]

Opens the main window (offscreen), classifies the clip with each model × precision × device in
turn (one view each), prints the process's RSS after each run, then after Clear Clip List and
once the engine has released what it no longer needs. `--npu` adds the NPU runs (on a Linux x86
machine, the QNN HTP simulator). Settings and caches go to a throwaway data folder unless
KINETOSCOPE_HOME is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "app" / "kinetoscope" / "data" / "samples" / "sample_arm_wrestling.mp4"
CPU_RUNS = [("i3d_kinetics", "float", "cpu"), ("i3d_kinetics", "w8a8", "cpu"),
            ("motion_demo", "float", "cpu"), ("motion_demo", "w8a8", "cpu")]
NPU_RUNS = [("motion_demo", "float", "npu"), ("motion_demo", "w8a8", "npu")]  # I3D takes many minutes there


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=SAMPLE)
    parser.add_argument("--npu", action="store_true", help="also run on the NPU (the simulator on x86)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("KINETOSCOPE_HOME", tempfile.mkdtemp(prefix="kinetoscope-memory-"))

    from kinetoscope.engine.memory import current_rss_mb
    from kinetoscope.ui.app import application
    from kinetoscope.ui.main.window import MainWindow

    app = application()
    window = MainWindow()
    window.show()

    def wait(condition, seconds: float = 1800.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.01)

    def settle() -> None:
        wait(lambda: window.runner.running is None and not window.engine.busy())
        end = time.monotonic() + 1.0
        wait(lambda: time.monotonic() > end)

    settle()
    print(f"{'start (window open, no clip)':44s} {current_rss_mb():7.0f} MB", flush=True)
    window.open_paths([args.clip])
    for model_id, precision, device in CPU_RUNS + (NPU_RUNS if args.npu else []):
        window.controls.apply(model_id, precision, device, 1)
        options = window.controls.options()
        if options is None or (options.model_id, options.precision, options.device) != (model_id, precision, device):
            print(f"{model_id} {precision} on {device}: not available here", flush=True)
            continue
        window.controls.options_changed.emit()
        settle()
        result = window.clips.result_for(args.clip, options)
        top1 = result.top5[0].label if result else "no result"
        print(f"{model_id + ' ' + precision + ' on ' + device + ' (' + top1 + ')':44s} {current_rss_mb():7.0f} MB",
              flush=True)
    window.clear_clips()
    settle()
    cached = window.runner.sessions.cached() if hasattr(window.runner.sessions, "cached") else "?"
    print(f"{'after Clear Clip List':44s} {current_rss_mb():7.0f} MB  (sessions kept: {cached})", flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
