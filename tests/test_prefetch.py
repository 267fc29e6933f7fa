"""The scan's read-ahead: items in order, the source's errors where they happened, a bounded lead,
and a close that stops the producer before the source is closed."""

from __future__ import annotations

import time

import pytest

from kinetoscope.engine.media.prefetch import Prefetcher


def test_items_arrive_in_order_and_the_end_is_the_end():
    with Prefetcher(iter(range(50)), depth=3) as items:
        assert list(items) == list(range(50))
        assert next(items, "end") == "end"


def test_an_error_in_the_source_is_raised_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("frame 3 is broken")

    with Prefetcher(source()) as items:
        assert next(items) == 1 and next(items) == 2
        with pytest.raises(ValueError, match="frame 3 is broken"):
            next(items)


def test_the_producer_runs_at_most_depth_items_ahead():
    produced: list[int] = []

    def source():
        for i in range(100):
            produced.append(i)
            yield i

    with Prefetcher(source(), depth=2) as items:
        assert next(items) == 0
        time.sleep(0.3)  # ample time to run ahead, were it unbounded
        # One handed out and two waiting: a third is not even started until there is room for it.
        assert len(produced) == 3
        assert next(items) == 1
        time.sleep(0.3)
        assert len(produced) == 4


def test_close_stops_the_producer_before_returning():
    items = Prefetcher(iter(range(10_000)), depth=2)
    assert next(items) == 0
    items.close()
    assert not items._thread.is_alive()  # the source can be closed now: nobody reads it
    items.close()  # twice is harmless
    assert next(items, "closed") == "closed"
