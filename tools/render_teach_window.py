"""Render the Teach window to a PNG (offscreen; no display needed).

    KINETOSCOPE_HOME=DIR .venv/bin/python tools/render_teach_window.py --set NAME [--train] [--out PNG]

Shows the action set NAME of the data folder KINETOSCOPE_HOME (made with `kinetoscope teach add`),
trains it first with --train (through the window, as the Train button does), and writes
resources/screenshots/teach_window.png unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "resources" / "screenshots" / "teach_window.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, help="the action set to show")
    parser.add_argument("--train", action="store_true", help="train it in the window first")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if not os.environ.get("KINETOSCOPE_HOME"):
        parser.error("set KINETOSCOPE_HOME to the data folder that holds the set")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO / "app"))
    from PySide6.QtWidgets import QApplication

    from kinetoscope.ui.teach.window import TeachWindow

    app = QApplication([])
    window = TeachWindow()
    window.resize(1100, 640)
    window.show()
    window.reload_sets(select=args.set)
    if args.train:
        window.train()
        deadline = time.monotonic() + args.timeout
        while window._busy() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(args.out))
    print(f"{args.out}: {'saved' if ok else 'NOT saved'}; {window.status.text()}")
    window.shutdown()
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
