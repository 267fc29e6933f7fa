"""The frozen app's console entry point (`kinetoscope-cli`): the `kinetoscope` command as is.

One hidden option for the installer's smoke test: `--check-multimedia` proves that the frozen app
loads a Qt Multimedia backend (frozen PySide6 apps are known to lose it: "No QtMultimedia backends
found", and then the camera window finds no camera). It creates a QGuiApplication (offscreen),
lists the cameras and microphones (an empty list is fine; no backend is not), prints the backend
plugin Qt loaded and exits 0, or 1 naming what failed.
"""

from __future__ import annotations

import sys

from kinetoscope.cli.main import main

CHECK_MULTIMEDIA = "--check-multimedia"


def _loaded_media_plugins() -> list[str]:
    """File names of the Qt Multimedia backend plugins mapped into this process."""
    import psutil

    return sorted({m.path.replace("\\", "/").rsplit("/", 1)[-1] for m in psutil.Process().memory_maps()
                   if "/multimedia/" in m.path.replace("\\", "/") and "mediaplugin" in m.path.lower()})


def check_multimedia() -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtMultimedia import QMediaDevices

    messages: list[str] = []
    qInstallMessageHandler(lambda kind, _context, text: messages.append(text)
                           if kind != QtMsgType.QtDebugMsg else None)
    app = QGuiApplication([sys.argv[0]])
    cameras = QMediaDevices.videoInputs()
    microphones = QMediaDevices.audioInputs()
    plugins = _loaded_media_plugins()
    del app
    lost = [m for m in messages if "backend" in m.lower()]
    if lost or not plugins:
        print(f"Qt Multimedia: no backend loaded ({'; '.join(lost) or 'no multimedia plugin was loaded'})",
              file=sys.stderr)
        return 1
    print(f"Qt Multimedia backend: {', '.join(plugins)}; {len(cameras)} camera(s), "
          f"{len(microphones)} microphone(s)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == [CHECK_MULTIMEDIA]:
        sys.exit(check_multimedia())
    sys.exit(main())
