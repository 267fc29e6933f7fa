"""Render the main window, with the sample clip classified, to a PNG (offscreen; no display needed).

    .venv/bin/python tools/render_screenshot.py [--view N] [--dark] [--out PNG]
    .venv/bin/python tools/render_screenshot.py --scan [--join CLIP CLIP ...] [--dark] [--out PNG]

Uses the default model (I3D Kinetics-400) and the arm-wrestling sample clip; writes
resources/screenshots/main_window.png, or main_window_dark.png with --dark, unless --out says otherwise. Settings and caches go to a throwaway data folder
unless KINETOSCOPE_HOME is set, so the user's own settings never leak into the picture.
`--scan` also scans the whole clip and shows the Whole-clip scan page (whole_clip_scan.png);
`--join` first joins the given clips end to end (scaled to 340x256, 25 fps) into one clip to open,
so the scan has several actions to find. `--dark` renders with the Fusion style and the dark palette of tools/render_widgets.py: the
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
    parser.add_argument("--scan", action="store_true", help="scan the whole clip and show its timeline")
    parser.add_argument("--join", type=Path, nargs="+", metavar="CLIP", help="join these clips into the one opened")
    args = parser.parse_args()
    if args.out is None:
        name = "whole_clip_scan" if args.scan else "main_window"
        args.out = DEFAULT_OUT.with_name(f"{name}_dark.png" if args.dark else f"{name}.png")
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
    clip = join_clips(args.join, Path(home) / "joined.mp4") if args.join else args.clip
    window.open_paths([clip])
    deadline = time.monotonic() + TIMEOUT_S
    while not outcome and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if args.scan:
        window.actions_.scan.trigger()
        deadline = time.monotonic() + 10 * TIMEOUT_S
        while (window.scans.running is not None or window.scan_pane.result() is None) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        result = window.scan_pane.result()
        outcome.append(f"scan: {', '.join(s.label for s in result.segments)}" if result else "failed: scan")
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
    print(f"{args.out}: {'saved' if ok else 'NOT saved'}; result: {'; '.join(outcome) if outcome else 'timed out'}")
    return 0 if ok and outcome and not any(o.startswith("failed") for o in outcome) else 1


def join_clips(clips: list[Path], out: Path) -> Path:
    """The clips end to end in one H.264 file at 340x256, 25 fps (each clip's frames as decoded)."""
    import av

    from fractions import Fraction

    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 340, 256, "yuv420p"
        count = 0
        for clip in clips:
            with av.open(str(clip)) as source:
                for frame in source.decode(video=0):
                    picture = frame.reformat(width=340, height=256, format="yuv420p")
                    picture.pts, picture.time_base = count, Fraction(1, 25)  # renumbered: one timeline
                    count += 1
                    container.mux(stream.encode(picture))
        container.mux(stream.encode())
    return out


if __name__ == "__main__":
    sys.exit(main())
