"""Render the Library window with search results and their thumbnails to a PNG (offscreen).

    .venv/bin/python tools/render_library.py [--model i3d_kinetics] [--action "arm wrestling"] [--out PNG]

Builds a library in a throwaway data folder from the shared real clips (and a compilation of
them, made with PyAV), indexes it with the model through the engine (as `kinetoscope library
index` does), opens the window, searches, waits for the thumbnails, and grabs the window.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
DEFAULT_OUT = REPO / "resources" / "screenshots" / "library_window.png"
sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--model", default="i3d_kinetics")
    parser.add_argument("--action", default="arm wrestling")
    parser.add_argument("--min", type=int, default=10, help="minimum confidence, percent")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(os.environ.get("KINETOSCOPE_HOME") or tempfile.mkdtemp(prefix="kinetoscope-shot-"))
    os.environ["KINETOSCOPE_HOME"] = str(home)

    from library_clips import compilation

    from kinetoscope.engine.inference.classify import VideoClassifier
    from kinetoscope.engine.inference.scan import SCAN_CPU
    from kinetoscope.engine.library.database import LibraryPaths, connect
    from kinetoscope.engine.library.folders import add_folder
    from kinetoscope.engine.library.indexer import Indexer

    videos = home / "videos"
    (videos / "training").mkdir(parents=True, exist_ok=True)
    clips = sorted(MEDIA.glob("*.mp4"))
    for clip in clips:
        shutil.copy2(clip, videos / clip.name)
    compilation(videos / "training" / "session_1.mp4", [MEDIA / "clip_340x256_30fps.mp4",
                                                        MEDIA / "arm_wrestling_340x256_28fps.mp4"],
                width=340, height=256)
    paths = LibraryPaths.default()
    db, _ = connect(paths)
    add_folder(db, paths, videos)
    db.close()
    print(f"indexing {videos} with {args.model} ...", flush=True)
    Indexer(paths, VideoClassifier.open(args.model, "cpu", cpu=SCAN_CPU)).run()

    from kinetoscope.ui.app import application
    from kinetoscope.ui.library.window import LibraryWindow

    app = application()
    window = LibraryWindow(open_moment=lambda *_: None, preferred_model=lambda: args.model)
    window.resize(1200, 720)
    window.show()
    deadline = time.monotonic() + 60

    def pump(until) -> None:  # noqa: ANN001
        while not until() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)

    pump(lambda: window.folders.folders.count() > 0 and window.search.labels.stringList())
    window.search.min_spin.setValue(args.min)
    window.search.action_edit.setText(args.action)
    window.search.action_edit.returnPressed.emit()
    tree = window.search.results
    pump(lambda: tree.topLevelItemCount() > 0)
    pump(lambda: all(not item.icon(0).isNull() for item in tree._rows()))  # noqa: SLF001
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out))
    print(f"wrote {args.out}: {tree.topLevelItemCount()} files, {window.search.said.text()}")
    window.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
