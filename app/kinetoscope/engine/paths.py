"""Where Kinetoscope keeps the user's data. The files that ship with the app: `bundled_data`."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Kinetoscope"


def data_dir() -> Path:
    """The user's data folder: `KINETOSCOPE_HOME` if set, else the platform's data folder."""
    override = os.environ.get("KINETOSCOPE_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Installed models live here, one folder per model id and precision."""
    return data_dir() / "models"


def cache_dir() -> Path:
    """Derived files that can always be rebuilt (unpacked bundles, compiled NPU contexts)."""
    return data_dir() / "cache"


def log_dir() -> Path:
    override = os.environ.get("KINETOSCOPE_HOME")
    if override:
        return Path(override).expanduser() / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
