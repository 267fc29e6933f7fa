"""Saving what the window shows: a clip's whole-clip scan, and the clip list's results.

The engine's writers do the writing (atomically: a file appears whole or not at all); here they
run on a lane of their own, so a large export never waits behind a scan on the engine lane and
never holds up the GUI thread. The file dialog's chosen filter (or the name's suffix) picks the
format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from kinetoscope.engine.inference import exports
from kinetoscope.engine.inference.results import ClipFailure, ClipResult
from kinetoscope.engine.inference.scan import ScanResult
from kinetoscope.ui.main.clip_records import ClipStore, RunOptions
from kinetoscope.ui.tasks import Lane, Op


@dataclass(frozen=True)
class Format:
    suffix: str                          # ".csv"
    filter: str                          # the file dialog's filter for it
    write: Callable[[Any, Path], Path]   # the engine's writer


TIMELINE_FORMATS = (Format(".csv", "CSV table, one row per window (*.csv)", exports.write_scan_csv),
                    Format(".json", "JSON, windows and segments (*.json)", exports.write_scan_json),
                    Format(".srt", "SRT subtitles, one per segment (*.srt)", exports.write_srt))
RESULTS_FORMATS = (Format(".csv", "CSV table, one row per clip (*.csv)", exports.write_results_csv),
                   Format(".json", "JSON, every clip's result (*.json)", exports.write_results_json))


def ask_save_path(parent: QWidget | None, title: str, suggested: Path, formats: Sequence[Format]) -> tuple[Path, str] | None:
    """Ask where to save; returns the path (its suffix made to match the filter) and the format's
    suffix, or None if the person cancelled."""
    filters = ";;".join(f.filter for f in formats)
    chosen = next((f for f in formats if f.suffix == suggested.suffix.lower()), formats[0])
    name, selected = QFileDialog.getSaveFileName(parent, title, str(suggested), filters, chosen.filter)
    return resolve_choice(name, selected, formats) if name else None


def resolve_choice(name: str, selected_filter: str, formats: Sequence[Format]) -> tuple[Path, str]:
    """The path and format of a save dialog's answer: a name ending in a known suffix keeps it
    (whatever the filter); any other name gets the chosen filter's suffix added."""
    path = Path(name)
    by_suffix = next((f for f in formats if f.suffix == path.suffix.lower()), None)
    fmt = by_suffix or next((f for f in formats if f.filter == selected_filter), formats[0])
    if by_suffix is None:
        path = path.with_name(path.name + fmt.suffix)
    return path, fmt.suffix


def list_results(store: ClipStore, options: RunOptions | None) -> list[ClipResult | ClipFailure]:
    """The rows of a results export, in list order: each clip's result with `options` (else its
    latest), or its failure; clips with neither (not classified yet, cancelled) are left out."""
    rows: list[ClipResult | ClipFailure] = []
    for clip in store.paths():
        record = store.get(clip)
        assert record is not None
        latest = record.latest_result()
        result = record.results.get(options) if options is not None else None
        if result is None and latest is not None:
            result = latest[1]
        if result is not None:
            rows.append(result)
        elif record.failure is not None:
            rows.append(ClipFailure(clip, record.failure[1].message))
    return rows


class Exporter(QObject):
    """Runs exports off the GUI thread; `saved(path, what)` or `failed(failure, path, what)` follows."""

    saved = Signal(Path, str)
    failed = Signal(object, Path, str)  # Failure, the path, what was being saved

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane("export", parent=self)

    def export_timeline(self, result: ScanResult, path: Path | None, suffix: str | None = None, *,
                        parent: QWidget | None = None) -> None:
        """Write `result` to `path` as `suffix` says (default: the path's own); no path: ask first."""
        suggested = result.clip.with_name(f"{result.clip.stem}.timeline.csv")
        self._export(result, path, suffix, TIMELINE_FORMATS, "Export Timeline", suggested, "the timeline", parent)

    def export_results(self, results: Sequence[ClipResult | ClipFailure], path: Path | None,
                       suffix: str | None = None, *, parent: QWidget | None = None,
                       folder: Path | None = None) -> None:
        """Write clips' results to `path` as `suffix` says; no path: ask first (starting in `folder`)."""
        suggested = (folder or Path.home()) / "kinetoscope-results.csv"
        self._export(tuple(results), path, suffix, RESULTS_FORMATS, "Export Results", suggested, "the results", parent)

    def busy(self) -> bool:
        return self.lane.busy()

    def shutdown(self) -> None:
        self.lane.shutdown()

    def _export(self, data: object, path: Path | None, suffix: str | None, formats: Sequence[Format], title: str,
                suggested: Path, what: str, parent: QWidget | None) -> None:
        if path is None:
            chosen = ask_save_path(parent, title, suggested, formats)
            if chosen is None:
                return
            path, suffix = chosen
        path = Path(path)
        fmt = suffix or path.suffix.lower()
        writers = {f.suffix: f.write for f in formats}
        (Op(self.lane, lambda _ctx: writers[fmt](data, path), name=f"export {path.name}")
         .success(lambda written: self.saved.emit(Path(written), what))
         .failure(lambda failure: self.failed.emit(failure, path, what)).run())
