"""`classify --jsonl` over many clips keeps nothing per clip: its Python heap is flat."""

from __future__ import annotations

import argparse
import gc
import io
import os
import tracemalloc

from kinetoscope.cli import batch
from locations import SAMPLES


def test_jsonl_batch_heap_stays_flat_over_clips(tmp_path, monkeypatch):
    clips = []
    for n in range(45):
        link = tmp_path / f"clip_{n:03d}.mp4"
        os.symlink(SAMPLES / "sample_moving_left.mp4", link)
        clips.append(link)
    heap: dict[int, int] = {}
    classify_one = batch._classify_one

    def measured(*args, **kwargs):
        row = classify_one(*args, **kwargs)
        done = len(heap) and max(heap) + 1 or 1
        gc.collect()
        heap[done] = tracemalloc.get_traced_memory()[0]
        return row

    monkeypatch.setattr(batch, "_classify_one", measured)
    args = argparse.Namespace(clips=[str(c) for c in clips], model="motion_demo", device="cpu", precision=None,
                              views=None, json=False, jsonl=True, csv=None)
    out = _LineCounter()
    tracemalloc.start()
    try:
        assert batch.run_batch(args, out) == 0
    finally:
        tracemalloc.stop()
    assert out.lines == 45
    # Each result holds a few KB of views (probabilities, frame times, predictions); kept, 30
    # clips would add ~200 KB. Let go, the heap moves by what caches and the allocator do.
    grown = heap[45] - heap[15]
    assert grown < 40_000, f"the heap grew {grown} bytes over 30 clips"


class _LineCounter(io.TextIOBase):
    """Stdout that counts lines and keeps none (keeping them would be the growth measured)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)
