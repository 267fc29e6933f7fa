"""One rotating log file per user; people see short messages, the log gets the details."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from kinetoscope.engine import paths

LOG_NAME = "kinetoscope.log"


def setup_file_logging(level: int = logging.INFO) -> Path | None:
    """Send the root logger to a rotating file in the log folder. Returns its path, or None if
    the folder cannot be written (the app then runs without a log rather than failing)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return Path(handler.baseFilename)
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=2_000_000, backupCount=3,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return Path(handler.baseFilename)
