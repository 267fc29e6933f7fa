"""The window's actions (with their shortcuts) and its menu bar.

The actions are made here and connected by the window, which decides what each one does: this
module knows nothing of `MainWindow`. Open Recent is filled with the clips the window gives it
(`fill_recent`) and says which was chosen (`recent_chosen`) or that the list was cleared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

class WindowActions(QObject):
    """Every command the window offers, each reachable by keyboard; `clip_list` gets its own keys."""

    recent_chosen = Signal(str)
    recent_cleared = Signal()

    def __init__(self, window: QMainWindow, clip_list: QWidget) -> None:
        super().__init__(window)

        def action(text: str, shortcut: QKeySequence | str | None = None, tip: str = "",
                   *, keys_on: QWidget | None = None) -> QAction:
            a = QAction(text, window)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(tip or text.replace("&", "").rstrip("…"))
            a.setStatusTip(tip)
            if keys_on is None:
                window.addAction(a)  # shortcuts work wherever the focus is
            else:
                a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only while it has the focus
                keys_on.addAction(a)
            return a

        self.open = action("&Open Clips…", QKeySequence.StandardKey.Open,
                           "Open video clips to classify")
        self.open_folder = action("Open &Folder…", "Ctrl+Shift+O",
                                  "Open every video in a folder and its subfolders")
        # Delete (and Backspace, the Mac's delete key) only while the list has the focus: anywhere
        # else they edit text, and must never remove clips.
        self.remove_clips = action("R&emove from Clip List",
                                   tip="Remove the selected clips from the list", keys_on=clip_list)
        self.remove_clips.setShortcuts([QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.undo_remove = action("&Undo Remove", QKeySequence.StandardKey.Undo,
                                  "Put the clips just removed back in the list")
        self.undo_remove.setEnabled(False)
        self.clear_queue = action("Clear &Clip List", tip="Forget every clip in the list")
        self.quit = action("&Quit", "Ctrl+Q")
        self.rerun = action("&Run Again", "Ctrl+R", "Classify the current clip again")
        self.cancel = action("&Cancel", "Esc", "Stop the scan or classification in progress")
        self.scan = action("&Scan Whole Clip", "Ctrl+Shift+S",
                           "Slide the model's window over the whole clip: what happens when")
        self.export_timeline = action("Export &Timeline…", "Ctrl+Shift+E",
                                      "Save the whole-clip scan as CSV, JSON or SRT subtitles")
        self.export_timeline.setEnabled(False)
        self.export_results = action("Export &Results…", tip="Save the top-5 of every "
                                     "classified clip in the list (and the errors) as CSV or JSON")
        self.export_results.setEnabled(False)
        self.clear_graphs = action("Clear &Graphs", "Ctrl+Shift+G",
                                   "Clear the latency and memory history")
        self.focus_clips = action("Go to &Clip List", "Ctrl+L")
        # Esc, while a view is chosen; Cancel has Esc otherwise (the window hands it over).
        self.whole_clip = action("&Whole Clip", "Esc",
                                 "Show the predictions for the whole clip again")
        self.whole_clip.setEnabled(False)
        self.models = action("&Models…", "Ctrl+M",
                             "Download, import, verify and remove models")
        self.benchmark = action("&Benchmark…", "Ctrl+B",
                                "Run the model on the NPU and the CPU side by side")
        self.camera = action("&Camera…", "Ctrl+Shift+C",
                             "Record a clip, or classify the camera live")
        self.teach = action("&Teach…", "Ctrl+Shift+T",
                            "Teach your own actions from a few clips; the set becomes a model")
        self.library = action("&Library…", "Ctrl+Shift+L",
                              "Index folders of videos by action and search them")
        self.open_log = action("Open &Log Folder")
        self.about = action("&About Kinetoscope")

        # The list's right-click menu: the actions added to it.
        separator = QAction(window)
        separator.setSeparator(True)
        clip_list.addActions([separator, self.clear_queue])

        self.recent_menu = QMenu("Open &Recent", window)
        # Each menu's items in order; None is a separator.
        menus: tuple[tuple[str, tuple[QAction | QMenu | None, ...]], ...] = (
            ("&File", (self.open, self.open_folder, self.recent_menu, None, self.remove_clips, self.undo_remove, self.clear_queue,
                       None, self.export_timeline, self.export_results, None, self.quit)),
            ("&Run", (self.rerun, self.scan, self.cancel, None, self.clear_graphs)),
            ("&Tools", (self.models, self.benchmark, self.camera, self.teach, self.library)),
            ("&View", (self.whole_clip, self.focus_clips)),
            ("&Help", (self.open_log, None, self.about)),
        )
        bar = window.menuBar()
        for title, items in menus:
            menu = bar.addMenu(title)
            for item in items:
                if item is None:
                    menu.addSeparator()
                elif isinstance(item, QMenu):
                    menu.addMenu(item)
                else:
                    menu.addAction(item)

    def fill_recent(self, remembered: Sequence[str]) -> None:
        """Offer the `remembered` clips that still exist in Open Recent."""
        menu = self.recent_menu
        menu.clear()
        recent = [p for p in remembered if Path(p).exists()]
        for number, text in enumerate(recent, 1):
            label = f"&{number} {Path(text).name}" if number < 10 else Path(text).name
            item = menu.addAction(label)
            item.setToolTip(text)
            item.triggered.connect(lambda _=False, p=text: self.recent_chosen.emit(p))
        if not recent:
            menu.addAction("No recent clips").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Clear Recent Clips", self.recent_cleared.emit).setEnabled(bool(remembered))

