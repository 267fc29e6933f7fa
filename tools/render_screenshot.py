"""Render the main window, with the sample clip classified, to a PNG (offscreen; no display needed).

    .venv/bin/python tools/render_screenshot.py [--view N] [--dark] [--out PNG]

Uses the default model (I3D Kinetics-400) and the arm-wrestling sample clip; writes
resources/screenshots/main_window.png, or main_window_dark.png with --dark, unless --out says otherwise. Settings and caches go to a throwaway data folder
unless KINETOSCOPE_HOME is set, so the user's own settings never leak into the picture.
`--dark` renders with the Fusion style and the dark palette of tools/render_widgets.py: the
offscreen platform has no colour scheme of its own, so this stands in for a desktop in dark mode.
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
DEFAULT_OUT = REPO / "resources" / "screenshots" / "main_window.png"
SIZE = (1360, 860)
TIMEOUT_S = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where to write the PNG (default: %s)" % DEFAULT_OUT.name)
    parser.add_argument("--clip", type=Path, default=SAMPLE)
    parser.add_argument("--view", type=int, help="select this view (1-based) after classifying")
    parser.add_argument("--dark", action="store_true", help="Fusion style with a dark palette")
    args = parser.parse_args()
    if args.out is None:
        args.out = DEFAULT_OUT.with_name("main_window_dark.png") if args.dark else DEFAULT_OUT
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = os.environ.get("KINETOSCOPE_HOME") or tempfile.mkdtemp(prefix="kinetoscope-shot-")
    os.environ["KINETOSCOPE_HOME"] = home

    from kinetoscope.ui.app import application
    from kinetoscope.ui.main.window import MainWindow

    app = application()
    if args.dark:
        from render_widgets import palettes

        app.setStyle("Fusion")
        app.setPalette(palettes()["dark"])
    window = MainWindow()
    window.clip_view.predictions.set_animated(False)
    window.resize(*SIZE)
    window.show()
    outcome: list[str] = []
    window.runner.finished.connect(lambda clip, result: outcome.append(result.top5[0].label))
    window.runner.failed.connect(lambda clip, failure: outcome.append(f"failed: {failure.message}"))
    window.open_paths([args.clip])
    deadline = time.monotonic() + TIMEOUT_S
    while not outcome and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if args.view:
        window.clip_view.select_view(args.view - 1)
    # Let the memory graph gather a few samples and the widgets settle before the picture.
    settle = time.monotonic() + 1.5
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.02)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(args.out))
    window.close()
    print(f"{args.out}: {'saved' if ok else 'NOT saved'}; result: {outcome[0] if outcome else 'timed out'}")
    return 0 if ok and outcome and not outcome[0].startswith("failed") else 1


if __name__ == "__main__":
    sys.exit(main())
