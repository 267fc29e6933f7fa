"""How fast LiveGraphs takes data and how often it redraws while fed flat out.

    QT_QPA_PLATFORM=offscreen python bench/live_graphs_fps.py [--seconds 3] [--batch 200]

Feeds latency and memory samples from a zero-interval timer (as fast as the event loop turns),
then prints the achieved redraw rate (it should sit near the 10 Hz timer, whatever the feed
rate), the time one redraw takes with the buffers full, and the median cost of one append, the
way pyqtgraph's PlotSpeedTest reports frame rates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to feed")
    parser.add_argument("--batch", type=int, default=200, help="appends per event-loop turn")
    parser.add_argument("--capacity", type=int, default=10_000, help="ring buffer capacity")
    args = parser.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kinetoscope.ui.widgets.live_graphs import LiveGraphs

    app = QApplication.instance() or QApplication(sys.argv)
    graphs = LiveGraphs(capacity=args.capacity)
    graphs.resize(900, 240)
    graphs.show()

    # Time every redraw the widget's own timer triggers.
    redraw_ms: list[float] = []
    original_tick = graphs._tick

    def timed_tick() -> None:
        before = graphs.repaint_count
        t0 = time.perf_counter()
        original_tick()
        if graphs.repaint_count > before:
            # setData only schedules painting; paint now so the figure includes rasterising.
            graphs._latency_plot.viewport().repaint()
            graphs._memory_plot.viewport().repaint()
            redraw_ms.append((time.perf_counter() - t0) * 1000)

    graphs._timer.timeout.disconnect()
    graphs._timer.timeout.connect(timed_tick)

    append_ns: list[int] = []
    fed = 0
    value = 0.0

    def feed() -> None:
        nonlocal fed, value
        for _ in range(args.batch):
            value = (value + 1.7) % 100
            t0 = time.perf_counter_ns()
            graphs.add_latency(30.0 + value)
            append_ns.append(time.perf_counter_ns() - t0)
            graphs.add_memory(400.0 + value)
        fed += args.batch

    feeder = QTimer()
    feeder.timeout.connect(feed)
    feeder.start(0)
    start = time.perf_counter()
    repaints_before = graphs.repaint_count
    while time.perf_counter() - start < args.seconds:
        app.processEvents()
    feeder.stop()
    elapsed = time.perf_counter() - start
    repaints = graphs.repaint_count - repaints_before

    print(f"fed {fed} latency + {fed} memory samples in {elapsed:.2f} s "
          f"({fed / elapsed:,.0f} appends/s per series; capacity {args.capacity})")
    print(f"redraws: {repaints} = {repaints / elapsed:.1f} Hz (timer asks for "
          f"{1000 / graphs._timer.interval():.0f} Hz)")
    if redraw_ms:
        print(f"one redraw (setData + paint, both plots, full buffers): median {statistics.median(redraw_ms):.2f} ms, "
              f"max {max(redraw_ms):.2f} ms")
    print(f"add_latency: median {statistics.median(append_ns) / 1000:.2f} µs per call")
    sys.stdout.flush()
    graphs.close()


if __name__ == "__main__":
    main()
