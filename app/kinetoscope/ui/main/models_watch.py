"""Notices models installed or removed behind the window's back (by the CLI, another window).

A `QFileSystemWatcher` watches the models folder and each model's folder in it (a new precision
of a known model changes only the latter); where the folder does not exist yet it watches the
data folder for its arrival. Platforms and file systems where watching fails (some network
drives) are covered by a look when the window is activated. Bursts of changes (an install
unpacks, then renames) are settled into one look, and `changed` fires only when the set of
usable models differs from the last one seen.

Listing the models stats a handful of folders, well under a millisecond, so it runs here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from kinetoscope.engine import paths
from kinetoscope.engine.modelfiles.model_store import ModelLocation, available_models
from kinetoscope.ui.crash_guard import survives

SETTLE_MS = 300


class ModelsWatcher(QObject):
    """Emits `changed(locations)` when the usable models change on disk; `locations` is the last look's."""

    changed = Signal(list)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.locations = available_models()
        self._seen = self._key(self.locations)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self._settle.start())
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.look)
        self._watch()
        window.installEventFilter(self)

    def look(self) -> None:
        """List the models now; emit `changed` if they differ from the last look."""
        self._watch()
        self.locations = available_models()
        key = self._key(self.locations)
        if key != self._seen:
            self._seen = key
            self.changed.emit(self.locations)

    @survives(default=False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.WindowActivate:
            self._settle.start()
        return False

    def _watch(self) -> None:
        root = paths.models_dir()
        wanted = [root, *(p for p in _subfolders(root))] if root.is_dir() else [root.parent]
        wanted_text = {str(p) for p in wanted if p.is_dir()}
        current = set(self._watcher.directories())
        if current - wanted_text:
            self._watcher.removePaths(sorted(current - wanted_text))
        if wanted_text - current:
            self._watcher.addPaths(sorted(wanted_text - current))

    @staticmethod
    def _key(locations: list[ModelLocation]) -> frozenset[tuple[str, str, str]]:
        return frozenset((m.model_id, m.precision, str(m.path)) for m in locations)


def _subfolders(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
