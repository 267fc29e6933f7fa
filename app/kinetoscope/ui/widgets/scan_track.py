"""The numbers behind the whole-clip timeline: one row per scanned window, in numpy arrays.

A scan of an hour-long file at one window a second is 3,600 windows; holding them as arrays (not
objects) lets the timeline find the visible ones with a binary search, pick one window per pixel
column, count labels and match a "find action" query with a few vectorised operations, however
long the clip. Arrays grow by doubling, so windows streaming in cost amortised O(1) each.
No Qt here: the widget paints what this computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kinetoscope.engine.inference.results import Prediction

TOP_K = 5
_INITIAL_CAPACITY = 256


class WindowLike(Protocol):
    """What the timeline needs of a scanned window (the engine's `ScanWindow` is one)."""

    start_s: float
    end_s: float
    top5: tuple[Prediction, ...]


class SegmentLike(Protocol):
    """What the timeline needs of a labelled span (the engine's `Segment` is one)."""

    start_s: float
    end_s: float
    label: str
    prob: float


@dataclass(frozen=True)
class WindowRow:
    """One window as the track holds it, for tooltips and tests."""

    index: int
    start_s: float
    end_s: float
    top5: tuple[Prediction, ...]


class WindowTrack:
    """Scanned windows in start order: spans, top-5 class indices and probabilities.

    Windows are expected in the order the scan produces them (by start time); one that starts
    earlier than the last is still accepted, and the arrays are re-sorted once.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}   # class index -> label
        self._ids: dict[str, int] = {}     # label -> class index
        self.clear()

    def clear(self) -> None:
        self._n = 0
        self._starts = np.zeros(_INITIAL_CAPACITY, np.float64)
        self._ends = np.zeros(_INITIAL_CAPACITY, np.float64)
        self._top_ids = np.full((_INITIAL_CAPACITY, TOP_K), -1, np.int32)
        self._top_probs = np.zeros((_INITIAL_CAPACITY, TOP_K), np.float32)
        self._names.clear()
        self._ids.clear()

    # -- filling ---------------------------------------------------------------------------
    def extend(self, windows: Iterable[WindowLike]) -> int:
        """Append windows; returns how many were added."""
        batch = list(windows)
        if not batch:
            return 0
        self._reserve(self._n + len(batch))
        unsorted = False
        last = self._starts[self._n - 1] if self._n else -np.inf
        for w in batch:
            i = self._n
            self._starts[i] = w.start_s
            self._ends[i] = max(float(w.end_s), float(w.start_s))
            unsorted |= w.start_s < last
            last = w.start_s
            for k, p in enumerate(w.top5[:TOP_K]):
                self._top_ids[i, k] = p.index
                self._top_probs[i, k] = p.prob
                if p.index not in self._names:
                    self._names[p.index] = p.label
                    self._ids[p.label] = p.index
            self._n += 1
        if unsorted:
            order = np.argsort(self._starts[:self._n], kind="stable")
            for array in (self._starts, self._ends, self._top_ids, self._top_probs):
                array[:self._n] = array[:self._n][order]
        return len(batch)

    def name_labels(self, labels: Sequence[str]) -> None:
        """Know every label of the model by class index (for find-action queries on labels no
        window has in its top-5 yet)."""
        for i, label in enumerate(labels):
            self._names.setdefault(i, label)
            self._ids.setdefault(label, i)

    def _reserve(self, needed: int) -> None:
        capacity = len(self._starts)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        self._starts = _grown(self._starts, capacity, 0.0)
        self._ends = _grown(self._ends, capacity, 0.0)
        self._top_ids = _grown(self._top_ids, capacity, -1)
        self._top_probs = _grown(self._top_probs, capacity, 0.0)

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def starts(self) -> np.ndarray:
        return self._starts[:self._n]

    @property
    def ends(self) -> np.ndarray:
        return self._ends[:self._n]

    @property
    def top1(self) -> np.ndarray:
        """Class index of each window's most probable label (-1 for a window with none)."""
        return self._top_ids[:self._n, 0]

    @property
    def top1_prob(self) -> np.ndarray:
        return self._top_probs[:self._n, 0]

    def end_s(self) -> float:
        return float(self._ends[:self._n].max()) if self._n else 0.0

    def label(self, class_index: int) -> str:
        return self._names.get(int(class_index), f"class {class_index}")

    def class_index(self, label: str) -> int | None:
        return self._ids.get(label)

    def row(self, i: int) -> WindowRow:
        """Window `i` with its top-5 as predictions."""
        top5 = tuple(Prediction(self.label(c), int(c), float(p))
                     for c, p in zip(self._top_ids[i], self._top_probs[i]) if c >= 0)
        return WindowRow(i, float(self._starts[i]), float(self._ends[i]), top5)

    def at_times(self, times: np.ndarray) -> np.ndarray:
        """For each time, the window covering it that started last (-1 where none does)."""
        if not self._n:
            return np.full(len(times), -1, np.int64)
        idx = np.searchsorted(self.starts, times, side="right") - 1
        clipped = np.clip(idx, 0, self._n - 1)
        covered = (idx >= 0) & (times < self.ends[clipped])
        # Windows spaced further apart than they are long leave gaps; overlapping windows hand
        # over to the later one. Either way the last window starting before t is the one to test.
        return np.where(covered, idx, -1)

    def visible(self, t0: float, t1: float) -> tuple[int, int]:
        """The index range [first, stop) of windows that overlap [t0, t1]."""
        return _overlapping(self.starts, self.ends, t0, t1)

    def matches(self, class_index: int | None, threshold: float) -> np.ndarray:
        """Which windows have `class_index` among their top-5 with probability >= `threshold`."""
        if class_index is None:
            return np.zeros(self._n, bool)
        ids, probs = self._top_ids[:self._n], self._top_probs[:self._n]
        return ((ids == class_index) & (probs >= np.float32(threshold))).any(axis=1)

    def label_counts(self) -> list[tuple[int, int]]:
        """(class index, windows where it is top-1), most frequent first."""
        top = self.top1
        top = top[top >= 0]
        if not len(top):
            return []
        counts = np.bincount(top)
        order = np.argsort(-counts, kind="stable")
        return [(int(c), int(counts[c])) for c in order if counts[c] > 0]


def _overlapping(starts: np.ndarray, ends: np.ndarray, t0: float, t1: float) -> tuple[int, int]:
    """The index range [first, stop) of spans (sorted by start) that overlap [t0, t1]."""
    if not len(starts):
        return 0, 0
    # Ends grow with the starts for equal-length spans; a running max keeps the search right
    # when lengths differ.
    first = int(np.searchsorted(np.maximum.accumulate(ends), t0, side="right"))
    stop = int(np.searchsorted(starts, t1, side="right"))
    return first, max(first, stop)


def _grown(array: np.ndarray, capacity: int, fill: float) -> np.ndarray:
    shape = (capacity,) + array.shape[1:]
    grown = np.full(shape, fill, array.dtype)
    grown[:len(array)] = array
    return grown


class SegmentTrack:
    """Labelled spans (start, end, label, mean probability) as arrays, for the segments row."""

    def __init__(self, segments: Sequence[SegmentLike] = ()) -> None:
        self.starts = np.array([s.start_s for s in segments], np.float64)
        self.ends = np.array([s.end_s for s in segments], np.float64)
        self.labels = tuple(s.label for s in segments)
        self.probs = tuple(float(s.prob) for s in segments)

    def __len__(self) -> int:
        return len(self.labels)

    def visible(self, t0: float, t1: float) -> range:
        return range(*_overlapping(self.starts, self.ends, t0, t1))

    def at(self, t: float) -> int | None:
        for i in self.visible(t, t):
            if self.starts[i] <= t < self.ends[i]:
                return i
        return None
