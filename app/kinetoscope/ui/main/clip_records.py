"""One record per clip in the list, in plain Python (no Qt): the window's one source of truth about clips.

A `ClipRecord` holds everything the window knows of one clip: where its classification stands, its
results by the options that made them, the failure it met, its whole-clip scan, and the run under
way on it. `ClipStore` keeps them in list order and tells its listeners (the Qt list model) which
rows changed. The runner, the scans, removal and exports read and write records here; the list
view only draws them, and `decide` is the one rule for what the right-hand side shows.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kinetoscope.engine.inference.results import ClipResult, DeviceReport, Prediction, ViewResult
from kinetoscope.engine.inference.scan import ScanResult, SegmentRule
from kinetoscope.engine.media.video import VideoInfo
from kinetoscope.engine.recipe import InputRecipe
from kinetoscope.ui.failure import Failure
from kinetoscope.words import percent

# Results that keep the model's crops (16 thumbnails per view): the clips looked at lately.
RESULTS_WITH_CROPS = 8
# A scan keeps every window's probabilities (400 floats each for Kinetics: ~6 MB an hour at one
# window a second); a few clips' worth covers going back and forth.
KEPT_SCANS = 6


class ClipState(enum.Enum):
    PENDING = "waiting"
    RUNNING = "classifying…"
    DONE = "done"
    FAILED = "could not classify"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RunOptions:
    """A complete choice of what to run; `model_path` is the bundle for model and precision."""

    model_id: str
    precision: str
    model_path: Path
    device: str
    views: int
    model_name: str = field(default="", compare=False)  # as people know it: "I3D (Kinetics-400)"


@dataclass
class LiveRun:
    """A classification under way, as far as it has got: what the clip view redraws when the clip
    is shown again mid-run."""

    options: RunOptions
    info: VideoInfo | None = None
    device: DeviceReport | None = None
    recipe: InputRecipe | None = None
    views: list[tuple[ViewResult, tuple[Prediction, ...]]] = field(default_factory=list)
    views_total: int = 0

    def view_shape(self) -> tuple[int, float]:
        """Frames per view and the seconds of clip one view covers (0 while the model is not open)."""
        if self.recipe is None:
            return 0, 0.0
        return self.recipe.frames, self.recipe.view_seconds(self.info.fps if self.info else 30.0)


@dataclass
class ClipRecord:
    """Everything known about one listed clip."""

    path: Path
    state: ClipState = ClipState.PENDING
    results: dict[RunOptions, ClipResult] = field(default_factory=dict)
    row_result: ClipResult | None = None       # the result the list's row names (state DONE)
    failure: tuple[RunOptions, Failure] | None = None
    scan: ScanResult | None = None
    run: LiveRun | None = None                 # the classification under way on it

    @property
    def summary(self) -> str:
        """The row's second line: the top action once done, else the state in words."""
        if self.state is ClipState.DONE and self.row_result is not None:
            return summary(self.row_result)
        return self.state.value

    def latest_result(self) -> tuple[RunOptions, ClipResult] | None:
        """The result made last, with its options (dicts keep insertion order)."""
        return next(reversed(self.results.items()), None)


@dataclass(frozen=True)
class Removed:
    """Records taken out of the store with the rows they stood at, to put back as they were."""

    rows: tuple[tuple[int, ClipRecord], ...]


# What a listener is told: "inserted"/"removed" (first row, last row) or "changed" (row, row).
Listener = Callable[[str, int, int], None]


class ClipStore:
    """The listed clips' records, in list order; see the module's docstring."""

    def __init__(self) -> None:
        self._records: list[ClipRecord] = []
        self._by_path: dict[Path, ClipRecord] = {}
        self._listeners: list[Listener] = []
        self._recent_results: OrderedDict[tuple[Path, RunOptions], None] = OrderedDict()
        self._recent_scans: OrderedDict[Path, None] = OrderedDict()
        self.current: Path | None = None  # the clip on show

    # -- reading ---------------------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, clip: object) -> bool:
        return clip in self._by_path

    def at(self, row: int) -> ClipRecord:
        return self._records[row]

    def get(self, clip: Path | None) -> ClipRecord | None:
        return self._by_path.get(clip) if clip is not None else None

    def row(self, clip: Path) -> int:
        record = self._by_path.get(clip)
        return self._records.index(record) if record is not None else -1

    def paths(self) -> list[Path]:
        return [r.path for r in self._records]

    def state(self, clip: Path) -> ClipState | None:
        record = self._by_path.get(clip)
        return record.state if record is not None else None

    def next_pending(self) -> Path | None:
        return next((r.path for r in self._records if r.state is ClipState.PENDING), None)

    def result_for(self, clip: Path, options: RunOptions | None) -> ClipResult | None:
        record = self._by_path.get(clip)
        return record.results.get(options) if record is not None and options is not None else None

    def scan_for(self, clip: Path, rule: SegmentRule) -> ScanResult | None:
        """`clip`'s last finished scan, its segments by `rule` (redrawn once per rule and kept)."""
        record = self._by_path.get(clip)
        if record is None or record.scan is None:
            return None
        if record.scan.rule != rule:
            record.scan = record.scan.with_rule(rule)
        return record.scan

    # -- writing ---------------------------------------------------------------------------
    def add(self, clips: Iterable[Path]) -> list[Path]:
        """Append clips not already listed, waiting; returns the ones added."""
        added = [clip for clip in dict.fromkeys(clips) if clip not in self._by_path]
        if added:
            first = len(self._records)
            for clip in added:
                record = ClipRecord(clip)
                self._records.append(record)
                self._by_path[clip] = record
            self._tell("inserted", first, len(self._records) - 1)
        return added

    def set_state(self, clip: Path, state: ClipState, row_result: ClipResult | None = None) -> None:
        """Record how `clip` stands; with DONE, `row_result` is the result its row names."""
        record = self._by_path.get(clip)
        if record is None:
            return
        record.state = state
        if state is ClipState.DONE:
            record.row_result = row_result or record.row_result
        self.changed(clip)

    def set_run(self, clip: Path, run: LiveRun | None) -> None:
        record = self._by_path.get(clip)
        if record is not None:
            record.run = run

    def remember_result(self, clip: Path, options: RunOptions, result: ClipResult) -> None:
        """Keep `result`; results older than the latest few lose their crops."""
        record = self._by_path.get(clip)
        if record is None:
            return
        record.results.pop(options, None)
        record.results[options] = result  # last in the dict: the latest
        key = (clip, options)
        self._recent_results[key] = None
        self._recent_results.move_to_end(key)
        for old_clip, old_options in list(self._recent_results)[:-RESULTS_WITH_CROPS]:
            old = self._by_path.get(old_clip)
            kept = old.results.get(old_options) if old is not None else None
            if kept is not None and any(v.crops is not None for v in kept.views):
                old.results[old_options] = replace(kept, views=tuple(replace(v, crops=None) for v in kept.views))

    def forget_result(self, clip: Path, options: RunOptions) -> None:
        record = self._by_path.get(clip)
        if record is not None:
            record.results.pop(options, None)

    def forget_results(self) -> None:
        """Drop every kept result (a model was installed or removed: they may describe an old one)."""
        for record in self._records:
            record.results.clear()
        self._recent_results.clear()

    def record_failure(self, clip: Path, options: RunOptions | None, failure: Failure) -> None:
        """Keep `clip`'s failure with the options it failed with, to show again with the clip."""
        record = self._by_path.get(clip)
        if record is not None and options is not None:
            record.failure = (options, failure)

    def forget_failures(self, clips: Collection[Path]) -> None:
        for clip in clips:
            record = self._by_path.get(clip)
            if record is not None:
                record.failure = None

    def keep_scan(self, clip: Path, result: ScanResult) -> None:
        """Keep `clip`'s finished scan; only the latest few clips keep theirs."""
        record = self._by_path.get(clip)
        if record is None:
            return
        record.scan = result
        self._recent_scans[clip] = None
        self._recent_scans.move_to_end(clip)
        while len(self._recent_scans) > KEPT_SCANS:
            old, _ = self._recent_scans.popitem(last=False)
            if (old_record := self._by_path.get(old)) is not None:
                old_record.scan = None

    def remove(self, clips: Collection[Path]) -> Removed:
        """Take `clips` out, keeping their records (results included) for `restore`."""
        rows = tuple((row, r) for row, r in enumerate(self._records) if r.path in clips)
        for row, record in reversed(rows):
            del self._records[row]
            del self._by_path[record.path]
            self._tell("removed", row, row)
        return Removed(rows)

    def restore(self, removed: Removed) -> list[Path]:
        """Put removed records back at their rows (as far as the list still reaches); a clip that
        was running or waiting waits again, and one added again since keeps its newer record."""
        restored = []
        for row, record in removed.rows:
            if record.path in self._by_path:
                continue
            record.run = None
            if record.state in (ClipState.RUNNING, ClipState.PENDING):
                record.state = ClipState.PENDING
            row = min(row, len(self._records))
            self._records.insert(row, record)
            self._by_path[record.path] = record
            self._tell("inserted", row, row)
            restored.append(record.path)
        return restored

    def changed(self, clip: Path) -> None:
        """Tell the listeners that `clip`'s record changed."""
        row = self.row(clip)
        if row >= 0:
            self._tell("changed", row, row)

    def _tell(self, what: str, first: int, last: int) -> None:
        for listener in self._listeners:
            listener(what, first, last)


# -- what the right-hand side shows ------------------------------------------------------------
class Show(enum.Enum):
    NO_MODEL = "no model"      # nothing to classify with
    COMPLETE = "complete"      # a result made with these options
    FAILURE = "failure"        # it failed with these options: said again, not retried on every visit
    LIVE = "live"              # a run with these options is under way: draw it as it goes
    RUN = "run"                # nothing yet: start a run


@dataclass(frozen=True)
class Decision:
    show: Show
    result: ClipResult | None = None
    failure: Failure | None = None
    held: tuple[RunOptions, ClipResult] | None = None  # with RUN: the result kept on show meanwhile


def decide(record: ClipRecord, options: RunOptions | None) -> Decision:
    """The one rule for what the right-hand side shows for `record` with `options` chosen, whether
    the clip was just picked or the options just changed. A result made with other options stays
    on show (`held`) while a run with the chosen ones goes on."""
    if options is None:
        return Decision(Show.NO_MODEL)
    if record.run is not None and record.run.options == options:
        return Decision(Show.LIVE)
    result = record.results.get(options)
    if result is not None:
        return Decision(Show.COMPLETE, result=result)
    if record.failure is not None and record.failure[0] == options:
        return Decision(Show.FAILURE, failure=record.failure[1])
    return Decision(Show.RUN, held=record.latest_result())


def summary(result: ClipResult) -> str:
    """The top-1 as the clip list and the status bar show it: "moving left · 82.9%"."""
    best = result.top5[0]
    return f"{best.label} · {percent(best.prob)}"  # as the top-5 panel writes it


def run_label(options: RunOptions, device_label: str) -> str:
    """What made a run's latencies, as the live graphs name it: "I3D (Kinetics-400) (float) · CPU"."""
    return f"{options.model_name or options.model_id} ({options.precision}) · {device_label}"


def describe_options(options: RunOptions, views: int | None = None) -> str:
    """What a run used, in a few words: "Motion demo (float) on CPU, 5 views"."""
    count = views if views is not None else options.views
    views_text = f"{count} views" if count else "the model's views"
    return f"{options.model_name or options.model_id} ({options.precision}) on {options.device.upper()}, {views_text}"
