"""Running an iterator ahead on a background thread: decoding the next window while the model
runs on this one.

Decoding (FFmpeg's threads) leaves about a core idle on a two-core laptop, and inference waits
for nothing but its input, so a scan overlaps them: the producer thread decodes and scales up to
`depth` windows ahead into a bounded queue, which keeps memory flat; it starts an item only when
there is room for it, so at most `depth` items exist beyond the one handed out. Errors raised by the source
reach the consumer at the point they happened; closing stops the producer and waits for it, so
the source (a reader holding a container) can be closed safely after.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetcher(Generic[T]):
    """Iterate `source` on a thread, at most `depth` items ahead. A context manager and an iterator."""

    def __init__(self, source: Iterator[T], depth: int = 2, name: str = "prefetch") -> None:
        self._source = iter(source)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth) + 1)
        # Taken before an item is made, given back when the consumer takes one: an item is only
        # made when it has room to wait (the +1 above is for the end marker or an error).
        self._room = threading.Semaphore(max(1, depth))
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Prefetcher[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _DONE:
            self._finished = True
            raise StopIteration
        if isinstance(item, _Raised):
            self._finished = True
            raise item.exc
        self._room.release()
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the producer (between two items) and wait for it; safe to call twice."""
        self._stop.set()
        while self._thread.is_alive():
            try:  # make room so a producer blocked on a full queue sees the stop
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
        self._finished = True

    def _produce(self) -> None:
        try:
            while self._wait_for_room():
                try:
                    item = next(self._source)
                except StopIteration:
                    break
                if not self._put(item):
                    return
            else:
                return  # stopped
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(_Raised(exc))
            return
        self._put(_DONE)

    def _wait_for_room(self) -> bool:
        while not self._stop.is_set():
            if self._room.acquire(timeout=0.05):
                return True
        return False

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
