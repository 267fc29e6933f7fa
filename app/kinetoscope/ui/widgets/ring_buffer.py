"""A fixed-capacity float history: appends are O(1) and never allocate."""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """The last `capacity` values appended, oldest first when read.

    The storage is allocated once; appending writes one slot, so producers can append at any
    rate and the (slower) painter reads a consistent ordered copy when it repaints.
    """

    def __init__(self, capacity: int = 10_000, dtype: np.dtype | type = np.float64) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._data = np.zeros(capacity, dtype)
        self._next = 0      # slot the next value goes to
        self._count = 0     # values held, up to capacity
        self._total = 0     # values ever appended, for numbering samples across wraps

    @property
    def capacity(self) -> int:
        return len(self._data)

    @property
    def total(self) -> int:
        """How many values were ever appended since the last clear."""
        return self._total

    def __len__(self) -> int:
        return self._count

    def append(self, value: float) -> None:
        """Store one value, overwriting the oldest once full."""
        self._data[self._next] = value
        self._next = (self._next + 1) % len(self._data)
        self._total += 1
        if self._count < len(self._data):
            self._count += 1

    def clear(self) -> None:
        """Forget every value; keeps the storage."""
        self._next = 0
        self._count = 0
        self._total = 0

    def latest(self) -> float | None:
        """The most recent value, or None when empty."""
        if self._count == 0:
            return None
        return float(self._data[self._next - 1])

    def values(self) -> np.ndarray:
        """The held values, oldest first (a view while not wrapped, else a new array)."""
        if self._count < len(self._data):
            return self._data[: self._count]
        if self._next == 0:
            return self._data
        return np.concatenate((self._data[self._next :], self._data[: self._next]))
