"""Render the result widgets, filled with data from a real clip, in light and dark palettes.

    QT_QPA_PLATFORM=offscreen python tools/render_widgets.py [--scale 2] [--out resources/screenshots]

The frames are what the models see (the engine's reader and centre crop); the predictions and
timings are made up but plausible, since no model runs here.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "media" / "arm_wrestling_340x256_28fps.mp4"
LABELS = ROOT / "app" / "kinetoscope" / "data" / "labels" / "kinetics400_labels.txt"

# Plausible top-5s for the arm-wrestling clip, one per view.
VIEW_GUESSES = [
    [("arm wrestling", 0.81), ("shaking hands", 0.07), ("rock scissors paper", 0.04),
     ("playing cards", 0.02), ("drinking beer", 0.01)],
    [("arm wrestling", 0.92), ("shaking hands", 0.03), ("rock scissors paper", 0.02),
     ("tasting beer", 0.01), ("playing poker", 0.005)],
    [("shaking hands", 0.46), ("arm wrestling", 0.39), ("rock scissors paper", 0.06),
     ("celebrating", 0.03), ("drinking beer", 0.02)],
    [("arm wrestling", 0.74), ("rock scissors paper", 0.09), ("shaking hands", 0.08),
     ("playing poker", 0.03), ("tasting beer", 0.01)],
    [("arm wrestling", 0.88), ("shaking hands", 0.05), ("celebrating", 0.02),
     ("rock scissors paper", 0.02), ("drinking beer", 0.01)],
]


def palettes():
    from PySide6.QtGui import QColor, QPalette

    light = QPalette()
    for role, colour in {
        QPalette.ColorRole.Window: "#f3f3f5", QPalette.ColorRole.WindowText: "#1d1d1f",
        QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f0f0f2",
        QPalette.ColorRole.Text: "#1d1d1f", QPalette.ColorRole.Button: "#e9e9ec",
        QPalette.ColorRole.ButtonText: "#1d1d1f", QPalette.ColorRole.Highlight: "#2f6fde",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#ffffe1",
        QPalette.ColorRole.ToolTipText: "#1d1d1f", QPalette.ColorRole.Mid: "#b8b8bd",
    }.items():
        light.setColor(role, QColor(colour))
    dark = QPalette()
    for role, colour in {
        QPalette.ColorRole.Window: "#232428", QPalette.ColorRole.WindowText: "#e8e8ea",
        QPalette.ColorRole.Base: "#1b1c1f", QPalette.ColorRole.AlternateBase: "#2a2b30",
        QPalette.ColorRole.Text: "#e8e8ea", QPalette.ColorRole.Button: "#2f3035",
        QPalette.ColorRole.ButtonText: "#e8e8ea", QPalette.ColorRole.Highlight: "#4c8dff",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2f3035",
        QPalette.ColorRole.ToolTipText: "#e8e8ea", QPalette.ColorRole.Mid: "#55565c",
    }.items():
        dark.setColor(role, QColor(colour))
    # Disabled controls (a finished run's Cancel button) read as disabled, as on a real desktop.
    for palette, muted in ((light, "#9a9aa0"), (dark, "#6e6f76")):
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(muted))
    return {"light": light, "dark": dark}


def read_views(clip: Path):
    from kinetoscope.engine.modelfiles import bundled_data
    from kinetoscope.engine.modelfiles.bundle import open_bundle
    from kinetoscope.engine.media.preprocess import center_crop
    from kinetoscope.engine.recipe import with_views
    from kinetoscope.engine.media.sampling import ClipSampler
    from kinetoscope.engine.media.video import VideoReader

    recipe = with_views(open_bundle(bundled_data.models_dir() / "motion_demo-onnx-float.zip").recipe, 5)
    with VideoReader(clip, resize=recipe.resize) as reader:
        plan = ClipSampler(recipe).plan(reader.info)
        views = [(vf.view, np.ascontiguousarray(center_crop(vf.rgb, recipe.crop)), vf.times_s)
                 for vf in reader.read_views(plan.views)]
        return reader.info, views


def predictions(view: int):
    from kinetoscope.engine.inference.results import Prediction

    labels = LABELS.read_text().splitlines()
    return [Prediction(label, labels.index(label), prob) for label, prob in VIEW_GUESSES[view]]


def whole_clip():
    from kinetoscope.engine.inference.results import Prediction

    labels = LABELS.read_text().splitlines()
    sums: dict[str, float] = {}
    for guesses in VIEW_GUESSES:
        for label, prob in guesses:
            sums[label] = sums.get(label, 0.0) + prob / len(VIEW_GUESSES)
    top = sorted(sums.items(), key=lambda kv: -kv[1])[:5]
    return [Prediction(label, labels.index(label), prob) for label, prob in top]


def wait(app, condition, timeout_s: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def render(out: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from kinetoscope.ui.widgets import ClipPreview, FrameStrip, LiveGraphs, TopPredictions, ViewTimeline

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    info, views = read_views(CLIP)
    rng = np.random.default_rng(7)
    written = []
    for name, palette in palettes().items():
        app.setPalette(palette)

        strip = FrameStrip()
        strip.set_view_count(len(views))
        for spec, crops, times in views[:4]:
            strip.set_view_frames(spec.index, crops, times)
        strip.set_active_view(3)
        strip.set_selected_view(1)
        strip.resize(900, strip.heightForWidth(900))

        top = TopPredictions()
        top.set_animated(False)
        top.set_predictions(whole_clip(), "Whole clip")
        top.resize(340, top.sizeHint().height())
        top_view = TopPredictions()
        top_view.set_animated(False)
        top_view.set_predictions(predictions(2), "View 3 · 4.40–5.47 s")
        top_view.resize(340, top_view.sizeHint().height())

        timeline = ViewTimeline()
        timeline.set_clip(info.duration_s, len(views), views[0][0].end_s - views[0][0].start_s)
        for spec, _, _ in views[:4]:
            best = predictions(spec.index)[0]
            timeline.set_view_result(spec.index, spec.start_s, spec.end_s, best.label, best.prob)
        timeline.select_view(1)
        timeline.resize(900, timeline.sizeHint().height())

        # A short clip: its views overlap and stack into lanes.
        short = ViewTimeline()
        short.set_clip(2.57, 5, 16 / 15)
        for i in range(3):
            start = i * (2.57 - 16 / 15) / 4
            best = predictions(i)[0]
            short.set_view_result(i, start, start + 16 / 15, best.label, best.prob)
        short.resize(900, short.sizeHint().height())

        graphs = LiveGraphs()
        for v in range(60):
            graphs.add_latency(float(38 + 6 * rng.standard_normal() + (25 if v % 5 == 0 else 0)))
        for k in range(120):
            graphs.add_memory(float(410 + 90 * (1 - np.exp(-k / 20)) + 4 * rng.standard_normal()), at_s=k * 0.5)
        graphs.resize(900, 230)
        graphs.show()
        wait(app, lambda: graphs.repaint_count > 0 and not graphs.repaint_timer_active(), 3)

        preview = ClipPreview()
        preview.resize(480, 360)
        preview.show()
        preview.load(CLIP)
        wait(app, lambda: preview.shown_time_s() is not None)
        preview.seek(4.2)
        wait(app, lambda: (preview.shown_time_s() or 0) > 4.0 and not preview.is_busy())

        broken = ClipPreview()
        broken.resize(480, 200)
        broken.show()
        broken_path = out / "_not_a_video.mp4"
        broken_path.write_bytes(b"this is not a video" * 10)
        broken.load(broken_path)
        wait(app, lambda: "cannot" in broken.message() or "not a video" in broken.message())
        broken_path.unlink()

        for widget, stem in ((strip, "frame_strip"), (top, "predictions"), (top_view, "predictions_view"),
                             (timeline, "timeline"), (short, "timeline_short"), (graphs, "live_graphs"),
                             (preview, "clip_preview"), (broken, "clip_preview_broken")):
            widget.show()
            app.processEvents()
            path = out / f"widgets_{stem}_{name}.png"
            widget.grab().save(str(path))
            written.append(path)
        for widget in (strip, top, top_view, timeline, short, graphs, preview, broken):
            widget.close()
            widget.deleteLater()
        app.processEvents()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio to render at")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in render(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
