"""Which files are videos: the names the window's file dialogs and the CLI's folders pick up."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

# Containers FFmpeg reads that people keep video in. Anything else found in a folder is skipped
# instead of being decoded to find out.
VIDEO_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp",
    ".ts", ".mts", ".m2ts", ".ogv", ".qt",
})


def is_video_name(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def files_in(folder: Path, limit: int | None = None) -> list[Path]:
    """Every file under `folder` (recursively, hidden ones left out), sorted by path.

    `limit` stops the walk after that many files, so a whole disk cannot stall it.
    """
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files if not f.startswith("."))
        if limit is not None and len(found) >= limit:
            break
    return sorted(found)


def videos_in(folder: Path, limit: int | None = None) -> list[Path]:
    """The video files among `files_in(folder, limit)`."""
    return [p for p in files_in(folder, limit) if is_video_name(p)]


def clips_from(paths: Iterable[str | Path]) -> list[Path]:
    """Clips named on a command line: files as given (whatever their name), folders' videos sorted.

    Duplicates are dropped, keeping the first place a clip is named; paths that do not exist are
    kept, so the caller reports them with the other failures.
    """
    clips: list[Path] = []
    for raw in paths:
        path = Path(raw)
        clips.extend(videos_in(path) if path.is_dir() else [path])
    return list(dict.fromkeys(clips))
