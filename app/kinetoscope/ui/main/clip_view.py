"""One clip's results: preview, top-5, the view timeline and the frames each view fed the model.

It keeps the views of the clip it shows, so clicking a view (on the timeline or the frame strip)
shows that view's own top-5 and frames, and "Whole clip" goes back to the clip's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from kinetoscope.engine.inference.results import ClipResult, Prediction, ViewResult
from kinetoscope.ui.widgets.clip_preview import ClipPreview
from kinetoscope.ui.widgets.frame_strip import FrameStrip
from kinetoscope.ui.widgets.predictions import TopPredictions
from kinetoscope.ui.widgets.timeline import ViewTimeline


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class ClipView(QWidget):
    """Shows one clip as it is classified, then its result. `view_selected` carries None for the
    whole clip."""

    view_selected = Signal(object)
    scan_hint_clicked = Signal()

    def __init__(self, placeholder: QWidget, side_extra: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clip: Path | None = None
        self._views: dict[int, ViewResult] = {}
        self._clip_top5: tuple[Prediction, ...] = ()
        self._clip_title = ""
        self._selected: int | None = None

        self.preview = ClipPreview()
        self.predictions = TopPredictions()
        self.timeline = ViewTimeline()
        self.frame_strip = FrameStrip()
        self.whole_clip_button = QPushButton("Whole clip")
        self.whole_clip_button.setToolTip("Show the predictions for the whole clip again")
        self.whole_clip_button.clicked.connect(lambda: self.select_view(None))
        self.whole_clip_button.hide()

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(_heading("Top 5 actions"))
        head.addStretch(1)
        head.addWidget(self.whole_clip_button)
        side_layout.addLayout(head)
        # Which result is on show while another runs, or after it was cancelled.
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Which result is shown")
        self.note.setEnabled(False)  # the palette's muted text: a remark, not a result
        self.note.hide()
        side_layout.addWidget(self.note)
        side_layout.addWidget(self.predictions)
        side_layout.addStretch(1)
        if side_extra is not None:
            side_layout.addWidget(side_extra, 3)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.setChildrenCollapsible(False)
        # Only the preview swaps with the "drop clips here" placeholder; the other panes are laid
        # out and painted from the start, so the first clip does not stall the window.
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(placeholder)
        self.preview_stack.addWidget(self.preview)
        top.addWidget(self.preview_stack)
        top.addWidget(side)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        strip_scroll = QScrollArea()
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QFrame.Shape.NoFrame)
        strip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_scroll.setWidget(self.frame_strip)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        # For clips much longer than the views cover: the whole-clip scan is one click away.
        # A button, not a link: a link's colour is unreadable in some dark palettes.
        self.scan_hint = QWidget()
        self.scan_hint_text = QLabel()
        self.scan_hint_text.setWordWrap(True)
        self.scan_hint_text.setAccessibleName("Scan hint")
        self.scan_hint_button = QPushButton("Scan Whole Clip")
        self.scan_hint_button.clicked.connect(self.scan_hint_clicked)
        hint_row = QHBoxLayout(self.scan_hint)
        hint_row.setContentsMargins(0, 2, 0, 0)
        hint_row.addWidget(self.scan_hint_text, 1)
        hint_row.addWidget(self.scan_hint_button)
        self.scan_hint.hide()
        bottom_layout.addWidget(self.scan_hint)
        bottom_layout.addWidget(self.timeline)
        self.strip_heading = _heading("What the model saw")
        bottom_layout.addWidget(self.strip_heading)
        bottom_layout.addWidget(strip_scroll, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        # The views the model was shown, and (a page of its own) the whole clip scanned window by window.
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(bottom, "Views along the clip")  # the tab is the heading: room for the preview
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.pages)
        # The frames deserve more room than the preview: they are what the model saw.
        self.splitter.setSizes([400, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.timeline.view_clicked.connect(self._view_clicked)
        self.frame_strip.view_clicked.connect(self._view_clicked)

    # -- feeding it -----------------------------------------------------------------------
    def show_clip(self, clip: Path) -> None:
        """Switch to `clip`: load its preview and forget the previous clip's results."""
        if clip != self.clip:
            self.clip = clip
            self.preview.load(clip)
        self.preview_stack.setCurrentWidget(self.preview)
        self.reset()

    def clear(self) -> None:
        """Show nothing: no clip, no results."""
        self.clip = None
        self.preview.clear()
        self.preview_stack.setCurrentIndex(0)
        self.reset()

    def reset(self) -> None:
        """Forget results (before a re-run), keeping the preview."""
        self._views.clear()
        self._clip_top5 = ()
        self._clip_title = ""
        self._selected = None
        self.whole_clip_button.hide()
        self.predictions.clear()
        self.timeline.clear()
        self.frame_strip.clear()

    def add_page(self, page: QWidget, title: str) -> None:
        """Another page beside "Views" under the preview (the whole-clip scan)."""
        self.pages.addTab(page, title)

    def show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)

    def set_scan_hint(self, text: str) -> None:
        """Offer a whole-clip scan, saying why (`text`); its button emits `scan_hint_clicked`. Empty: none."""
        self.scan_hint_text.setText(text)
        self.scan_hint.setVisible(bool(text))

    def set_note(self, text: str) -> None:
        """Say which result is on show (empty: the one the options ask for, nothing to say)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def note_text(self) -> str:
        return self.note.text()

    def set_plan(self, duration_s: float, view_count: int, frames_per_view: int, view_s: float) -> None:
        """The shape of the run: how long the clip is, how many views it is cut into, and each view's
        frames and seconds (0 when not known yet)."""
        self.timeline.set_clip(duration_s, view_count, view_s)
        self.frame_strip.set_view_count(view_count, frames_per_view)
        if frames_per_view:
            self.strip_heading.setText(f"What the model saw: {frames_per_view} frames per view")

    def set_active_view(self, index: int | None) -> None:
        self.frame_strip.set_active_view(index)

    def add_view(self, view: ViewResult, running_top5: Sequence[Prediction], views_total: int) -> None:
        """One more view finished; `running_top5` is the clip's top-5 over the views so far."""
        self._views[view.index] = view
        if view.crops is not None:
            self.frame_strip.set_view_frames(view.index, view.crops, view.frame_times_s)
        best = view.top5[0]
        self.timeline.set_view_result(view.index, view.start_s, view.end_s, best.label, best.prob, best.index)
        done = len(self._views)
        title = "Whole clip" if done >= views_total else f"After {done} of {views_total} views"
        self._set_clip_predictions(tuple(running_top5), title)

    def show_result(self, result: ClipResult) -> None:
        """Show a finished classification (live or from the cache) in full."""
        if result.clip != self.clip:
            self.show_clip(result.clip)
        else:
            self.reset()
        first = result.views[0] if result.views else None
        self.set_plan(result.clip_duration_s, len(result.views), len(first.frame_times_s) if first else 0,
                      first.end_s - first.start_s if first else 0.0)
        for view in result.views:
            self.add_view(view, result.top5, len(result.views))
        self.set_active_view(None)
        self._set_clip_predictions(result.top5, "Whole clip")

    def finish(self, result: ClipResult) -> None:
        """The live run of the shown clip ended: settle on the clip's final top-5."""
        self.set_active_view(None)
        self._set_clip_predictions(result.top5, "Whole clip")

    @property
    def showing_clip(self) -> bool:
        return self.preview_stack.currentWidget() is self.preview

    # -- choosing a view ------------------------------------------------------------------
    @property
    def selected_view(self) -> int | None:
        return self._selected

    def select_view(self, index: int | None) -> None:
        """Show view `index`'s own top-5 (None: the whole clip's)."""
        view = self._views.get(index) if index is not None else None
        self._selected = view.index if view is not None else None
        self.timeline.select_view(self._selected)
        self.frame_strip.set_selected_view(self._selected)
        self.whole_clip_button.setVisible(self._selected is not None)
        if view is not None:
            self.predictions.set_predictions(
                view.top5, f"View {view.index + 1}: {view.start_s:.1f}–{view.end_s:.1f} s")
        elif self._clip_top5:
            self.predictions.set_predictions(self._clip_top5, self._clip_title)
        self.view_selected.emit(self._selected)

    def _view_clicked(self, index: int) -> None:
        self.select_view(None if index == self._selected else index)

    def _set_clip_predictions(self, top5: tuple[Prediction, ...], title: str) -> None:
        self._clip_top5, self._clip_title = top5, title
        if self._selected is None:
            self.predictions.set_predictions(top5, title)
