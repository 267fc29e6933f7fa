"""Reusable widgets the main window composes: what the model saw, what it said, how fast, the clip.

Each widget only presents values handed to it (engine results, numbers, frames); none of them
runs inference. The clip preview decodes, but never on the GUI thread.
"""

from __future__ import annotations

from kinetoscope.ui.widgets.clip_preview import ClipPreview
from kinetoscope.ui.widgets.frame_strip import FrameStrip
from kinetoscope.ui.widgets.live_graphs import LiveGraphs
from kinetoscope.ui.widgets.predictions import TopPredictions
from kinetoscope.ui.widgets.scan_timeline import ScanTimeline
from kinetoscope.ui.widgets.timeline import ViewTimeline

__all__ = ["ClipPreview", "FrameStrip", "LiveGraphs", "ScanTimeline", "TopPredictions", "ViewTimeline"]
