"""One clip's results: preview, top-5, the view timeline and the frames each view fed the model.

It keeps the views of the clip it shows, so clicking a view (on the timeline or the frame strip)
shows that view's own top-5 and frames, and "Whole clip" goes back to the clip's. The preview
follows: a view or a frame clicked moves it there, and the timeline's playhead shows where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QSplitter, QStackedWidget, QTabWidget, QWidget

from kinetoscope.engine.inference.results import ClipResult, Prediction, ViewResult
from kinetoscope.ui.crash_guard import survives
from kinetoscope.ui.widgets.clip_preview import ClipPreview
from kinetoscope.ui.widgets.frame_strip import FrameStrip
from kinetoscope.ui.widgets.layouts import column, row
from kinetoscope.ui.widgets.predictions import TopPredictions
from kinetoscope.ui.widgets.timeline import ViewTimeline


SIDE_MIN_WIDTH = 250  # the top-5's labels, bars and percentages, and a scroll bar


def _scroll(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that Tab passes through to the controls in it."""
    scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame, focusPolicy=Qt.FocusPolicy.NoFocus)
    scroll.setWidget(widget)
    return scroll


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


# A spatial crop's lane on the view timeline: PyTorchVideo's left/centre/right (top/centre/bottom
# for portrait clips) read in that order.
_CROP_LANES = {"left": 0, "top": 0, "centre": 1, "right": 2, "bottom": 2}

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
        self.whole_clip_button = QPushButton("Whole clip", toolTip="Show the predictions for the whole clip again")
        self.whole_clip_button.clicked.connect(lambda: self.select_view(None))
        self.whole_clip_button.hide()

        side = QWidget()
        # Which result is on show while another runs, or after it was cancelled.
        self.note = QLabel(wordWrap=True, accessibleName="Which result is shown")
        self.note.setEnabled(False)  # the palette's muted text: a remark, not a result
        self.note.hide()
        # The graphs take the height a tall window has.
        column(row(_heading("Top 5 actions"), 1, self.whole_clip_button), self.note, self.predictions,
               (side_extra, 1) if side_extra is not None else 1, parent=side, margins=(8, 0, 0, 0))
        # A short or narrow window scrolls the side column rather than squeezing the top-5 or the
        # graphs' figures out of sight. It is as wide as they need where the window has the room
        # (`_fit_side`), and never narrower than SIDE_MIN_WIDTH, so at the window's minimum size it
        # still fits beside the preview, with its scroll bars on screen.
        self.side_scroll = _scroll(side)
        self.side_scroll.setMinimumWidth(SIDE_MIN_WIDTH)
        side.installEventFilter(self)

        self.top = top = QSplitter(Qt.Orientation.Horizontal)
        top.setChildrenCollapsible(False)
        # Only the preview swaps with the "drop clips here" placeholder; the other panes are laid
        # out and painted from the start, so the first clip does not stall the window.
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(placeholder)
        self.preview_stack.addWidget(self.preview)
        top.addWidget(self.preview_stack)
        top.addWidget(self.side_scroll)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        # Thumbnails shrink with the width down to a legible size; a narrower window scrolls them.
        self.strip_scroll = strip_scroll = _scroll(self.frame_strip)
        self.bottom = bottom = QWidget()
        # For clips much longer than the views cover: the whole-clip scan is one click away.
        # A button, not a link: a link's colour is unreadable in some dark palettes.
        self.scan_hint = QWidget()
        self.scan_hint_text = QLabel(wordWrap=True, accessibleName="Scan hint")
        self.scan_hint_button = QPushButton("Scan Whole Clip")
        self.scan_hint_button.clicked.connect(self.scan_hint_clicked)
        row((self.scan_hint_text, 1), self.scan_hint_button, parent=self.scan_hint, margins=(0, 2, 0, 0))
        self.scan_hint.hide()
        self.strip_heading = _heading("What the model saw")
        column(self.scan_hint, self.timeline, self.strip_heading, (strip_scroll, 1), parent=bottom,
               margins=(0, 0, 0, 0))

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        # The views the model was shown, and (a page of its own) the whole clip scanned window by window.
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(bottom, "Views along the clip")  # the tab is the heading: room for the preview
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(0, 1)
        # The bottom gets the height its views' frames need (up to a share of the window) and the
        # preview and graphs the rest, until the user drags the handle: then their split stays.
        self._user_split = False
        self.splitter.splitterMoved.connect(self._split_by_user)
        strip_scroll.viewport().installEventFilter(self)
        column(self.splitter, parent=self, margins=(0, 0, 0, 0))

        self.timeline.view_clicked.connect(self._view_clicked)
        self.frame_strip.view_clicked.connect(self._view_clicked)
        self.frame_strip.frame_clicked.connect(self._frame_clicked)
        self.preview.position_changed.connect(
            lambda seconds: self.timeline.set_playhead(seconds if seconds >= 0 else None))

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
        self.set_scan_hint("")  # an offer to scan a clip that is gone
        self.reset()

    def reset(self) -> None:
        """Forget results (before a re-run), keeping the preview."""
        had_view = self._selected is not None
        self._views.clear()
        self._clip_top5 = ()
        self._clip_title = ""
        self._selected = None
        if had_view:
            self.view_selected.emit(None)
        self.whole_clip_button.hide()
        self.predictions.clear()
        self.timeline.clear()
        self.frame_strip.clear()
        self._auto_split()

    def add_page(self, page: QWidget, title: str) -> None:
        """Another page beside "Views" under the preview (the whole-clip scan). A window too narrow
        for its row of controls scrolls it sideways rather than cutting it off."""
        self.pages.addTab(_scroll(page), title)

    def show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page.parentWidget().parentWidget())  # its scroll area (page ▸ viewport ▸ area)

    def page_on_show(self) -> QWidget:
        """The page under the preview on show now (the views' page, or one given to `add_page`)."""
        current = self.pages.currentWidget()
        return current.widget() if isinstance(current, QScrollArea) else current

    def set_scan_hint(self, text: str) -> None:
        """Offer a whole-clip scan, saying why (`text`); its button emits `scan_hint_clicked`. Empty: none."""
        self.scan_hint_text.setText(text)
        self.scan_hint.setVisible(bool(text))
        self._auto_split()

    def set_note(self, text: str) -> None:
        """Say which result is on show (empty: the one the options ask for, nothing to say)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def note_text(self) -> str:
        return self.note.text()

    def set_plan(self, duration_s: float, view_count: int, frames_per_view: int, view_s: float,
                 crops: int = 1) -> None:
        """The shape of the run: how long the clip is, how many views it is cut into, each view's
        frames and seconds (0 when not known yet), and the spatial crops of each temporal view."""
        self.timeline.set_clip(duration_s, view_count, view_s, crops)
        self.frame_strip.set_view_count(view_count, frames_per_view)
        if frames_per_view:
            self.strip_heading.setText(f"What the model saw: {frames_per_view} frames per view")
        self._auto_split()

    def set_active_view(self, index: int | None) -> None:
        self.frame_strip.set_active_view(index)

    def stopped(self, why: str) -> None:
        """The run drawn here ended early (`why`: "cancelled"): its views without a result say so."""
        self.frame_strip.set_active_view(None)
        self.timeline.not_yet = self.frame_strip.not_yet = why
        self.timeline.update()
        self.frame_strip.update()

    def add_view(self, view: ViewResult, running_top5: Sequence[Prediction], views_total: int) -> None:
        """One more view finished; `running_top5` is the clip's top-5 over the views so far."""
        self._views[view.index] = view
        if view.crops is not None:
            self.frame_strip.set_view_frames(view.index, view.crops, view.frame_times_s, (view.start_s, view.end_s))
        self.frame_strip.set_marked_frames(view.slow_frames)
        best = view.top5[0]
        crop = (view.crop, _CROP_LANES.get(view.crop, 1)) if view.temporal_index is not None else ("", None)
        self.timeline.set_view_result(view.index, view.start_s, view.end_s, best.label, best.prob, best.index, *crop)
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
        temporal = len({v.temporal for v in result.views}) or 1
        self.set_plan(result.clip_duration_s, len(result.views), len(first.frame_times_s) if first else 0,
                      first.end_s - first.start_s if first else 0.0, len(result.views) // temporal)
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

    # -- sharing the height ---------------------------------------------------------------
    def bottom_needs(self) -> int:
        """The height the bottom pages show every view's frames in, at the current width."""
        lay = self.bottom.layout()
        hint = self.scan_hint.sizeHint().height() + lay.spacing() if self.scan_hint.isVisibleTo(self) else 0
        fixed = (self.pages.tabBar().sizeHint().height() + hint + self.timeline.sizeHint().height()
                 + self.strip_heading.sizeHint().height() + 2 * lay.spacing()
                 + lay.contentsMargins().top() + lay.contentsMargins().bottom())
        width = self.strip_scroll.viewport().width() or self.bottom.width()
        needs = fixed + self.frame_strip.heightForWidth(width) + 2
        if self.frame_strip.minimumSizeHint().width() > width:
            needs += self.strip_scroll.horizontalScrollBar().sizeHint().height()
        return needs

    def _auto_split(self) -> None:
        if self._user_split:
            return
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        top_min = self.splitter.widget(0).minimumSizeHint().height()
        # Never more than 60 % for the frames (a clip of 20 views scrolls), never below the top's minimum.
        bottom = max(self.pages.minimumSizeHint().height(), min(self.bottom_needs(), int(total * 0.6), total - top_min))
        if abs(self.splitter.sizes()[1] - bottom) > 1:
            self.splitter.setSizes([total - bottom, bottom])

    def _fit_side(self) -> None:
        """The side column's minimum: what its contents need, as far as the preview leaves room."""
        side = self.side_scroll.widget()
        # The scroll area sizes a column holding wrapped text by its height-for-width, which here
        # falls short of the graphs' minimum height: their lower part would be past the scrolling.
        height = side.minimumSizeHint().height()
        if height != side.minimumHeight():  # called on every relayout of the column: mostly a no-op
            side.setMinimumHeight(height)
        needs = side.minimumSizeHint().width() + self.side_scroll.verticalScrollBar().sizeHint().width()
        room = self.width() - self.preview_stack.minimumSizeHint().width() - self.top.handleWidth()
        width = max(SIDE_MIN_WIDTH, min(needs, room))
        if width != self.side_scroll.minimumWidth():
            self.side_scroll.setMinimumWidth(width)

    def _split_by_user(self, _pos: int, _index: int) -> None:
        self._user_split = True

    @survives(default=False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched is self.strip_scroll.viewport():
            self._auto_split()  # a wider strip has larger thumbnails: its rows are taller
        elif event.type() == QEvent.Type.LayoutRequest and watched is self.side_scroll.widget():
            self._fit_side()  # its contents changed (a result arrived): they may need more width
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self._fit_side()
        super().resizeEvent(event)
        self._auto_split()

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
        view = self._views.get(self._selected) if self._selected is not None else None
        if view is not None:  # the preview shows where the view starts
            self.preview.seek(view.start_s)

    def _frame_clicked(self, index: int, seconds: float) -> None:
        # After `view_clicked`, which toggles: a frame's view stays chosen, and the preview shows that frame.
        if self._selected != index:
            self.select_view(index)
        self.preview.seek(seconds)

    def _set_clip_predictions(self, top5: tuple[Prediction, ...], title: str) -> None:
        self._clip_top5, self._clip_title = top5, title
        if self._selected is None:
            self.predictions.set_predictions(top5, title)
