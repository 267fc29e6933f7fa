"""The user's settings: a small typed, versioned value saved as JSON beside the user's data.

Qt-free on purpose: the window reads and writes it, tests and the CLI can too. Unknown keys are
ignored and wrong types fall back to defaults, so a hand-edited or older file never stops the app.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from kinetoscope.engine import paths
from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.engine.files import atomic_text_file
from kinetoscope.engine.modelfiles.model_store import DEFAULT_MODEL_ID
from kinetoscope.engine.recipe import MAX_VIEWS

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
SETTINGS_FILE = "settings.json"
MAX_RECENT = 10
# The limits the scan page's segment-rule boxes allow; a saved rule outside them falls back to the default.
MAX_SEGMENT_WINDOWS = 99


@dataclass(frozen=True)
class Settings:
    """Everything that survives a restart. `geometry` is base64 of QWidget.saveGeometry()."""

    version: int = SETTINGS_VERSION
    geometry: str = ""
    splitter_state: str = ""
    model_id: str = DEFAULT_MODEL_ID
    precision: str = ""          # "" lets the app pick the best installed precision
    device: str = "cpu"          # "cpu" | "npu"
    views: int = 0               # 0: as many as the model's input recipe names
    recent_files: tuple[str, ...] = ()
    last_folder: str = ""
    # The whole-clip scan's segment rule (engine `SegmentRule`, same defaults): the smallest mean
    # probability a segment needs, windows averaged before each one's action is chosen, shortest segment.
    segment_threshold: float = 0.25
    segment_smoothing: int = 3
    segment_min_windows: int = 1

    def with_recent(self, path: str | Path) -> Settings:
        """These settings with `path` first among the recent files."""
        text = str(Path(path))
        recent = (text, *(p for p in self.recent_files if p != text))[:MAX_RECENT]
        return replace(self, recent_files=recent)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["recent_files"] = list(self.recent_files)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Build settings from a parsed file, migrating old versions and dropping bad values."""
        data = _migrate(dict(data))
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], getattr(defaults, f.name)
            if isinstance(default, tuple):
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
                value = tuple(value) if ok else default
            elif isinstance(default, float) and type(value) is int:
                value = float(value)  # a hand-edited "1" for 1.0
            elif type(value) is not type(default):
                log.warning("settings: ignoring %s=%r (expected %s)", f.name, value, type(default).__name__)
                value = default
            values[f.name] = value
        values["version"] = SETTINGS_VERSION
        settings = cls(**values)
        if settings.device not in ("cpu", "npu"):
            settings = replace(settings, device="cpu")
        if not 0 <= settings.views <= MAX_VIEWS:
            settings = replace(settings, views=defaults.views)
        if not (0.0 <= settings.segment_threshold <= 1.0 and 1 <= settings.segment_smoothing <= MAX_SEGMENT_WINDOWS
                and 1 <= settings.segment_min_windows <= MAX_SEGMENT_WINDOWS):
            log.warning("settings: ignoring a segment rule out of range; using the default")
            settings = replace(settings, segment_threshold=defaults.segment_threshold,
                               segment_smoothing=defaults.segment_smoothing,
                               segment_min_windows=defaults.segment_min_windows)
        return settings


# Each migration turns version N's dict into version N+1's. Version 0 is a file without a version.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: lambda data: {**data, "version": 1},
    # Version 2 added the segment rule; a version 1 file has none, so its fields take their defaults.
    1: lambda data: {**data, "version": 2},
}


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("version", 0)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        # A newer app wrote this file: keep what we understand, by our own version's names.
        return data
    while version < SETTINGS_VERSION:
        data = _MIGRATIONS[version](data)
        version = data["version"]
    return data


class SettingsStore:
    """Loads and atomically saves `Settings` in one JSON file (default: the data folder's)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.data_dir() / SETTINGS_FILE

    def load(self) -> Settings:
        """The saved settings, or defaults when there are none or the file cannot be read."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("settings: cannot read %s (%s); using defaults", self.path, exc)
            return Settings()
        if not isinstance(data, dict):
            log.warning("settings: %s is not an object; using defaults", self.path)
            return Settings()
        return Settings.from_json(data)

    def save(self, settings: Settings) -> bool:
        """Write atomically (`atomic_text_file`: a temporary file renamed), so a crash never leaves half a file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_text_file(self.path) as f:
                json.dump(settings.to_json(), f, indent=2)
        except (OSError, KinetoscopeError) as exc:
            log.warning("settings: cannot save %s (%s)", self.path, exc)
            return False
        return True
