"""The window's actions (with their shortcuts) and its menu bar.

The actions are given the commands they trigger (`WindowCommands`), not the window: this module
knows nothing of `MainWindow`, and the window decides what each command does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

Command = Callable[[], object]


@dataclass(frozen=True)
class WindowCommands:
    """What the menus and shortcuts do, as callables the window provides."""

    open_dialog: Command
    open_paths: Callable[[list[str]], object]
    remove_selected_clips: Command
    undo_remove: Command
    clear_clips: Command
    quit: Command
    rerun: Command
    cancel: Command
    clear_graphs: Command
    focus_clips: Command
    whole_clip: Command
    open_models: Command
    open_benchmark: Command
    open_camera: Command
    open_library: Command
    open_log_folder: Command
    about: Command
    recent_files: Callable[[], Sequence[str]]
    clear_recent: Command
    scan_clip: Command
    export_timeline: Command
    export_results: Command
    open_teach: Command


class WindowActions(QObject):
    """Every command the window offers, each reachable by keyboard; `clip_list` gets its own keys."""

    def __init__(self, window: QMainWindow, commands: WindowCommands, clip_list: QWidget) -> None:
        super().__init__(window)
        self._commands = commands
        c = commands

        def action(text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "",  # noqa: ANN001
                   *, keys_on: QWidget | None = None) -> QAction:
            a = QAction(text, window)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(tip or text.replace("&", "").rstrip("…"))
            a.setStatusTip(tip)
            # `triggered` carries `checked`; a command with an optional first parameter (Export's
            # `path`) would take it for that, so commands are called with nothing.
            a.triggered.connect(lambda _checked=False, command=slot: command())
            if keys_on is None:
                window.addAction(a)  # shortcuts work wherever the focus is
            else:
                a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # only while it has the focus
                keys_on.addAction(a)
            return a

        self.open = action("&Open Clips…", c.open_dialog, QKeySequence.StandardKey.Open,
                           "Open video clips to classify")
        # Delete (and Backspace, the Mac's delete key) only while the list has the focus: anywhere
        # else they edit text, and must never remove clips.
        self.remove_clips = action("R&emove from Clip List", c.remove_selected_clips,
                                   tip="Remove the selected clips from the list", keys_on=clip_list)
        self.remove_clips.setShortcuts([QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        self.undo_remove = action("&Undo Remove", c.undo_remove, QKeySequence.StandardKey.Undo,
                                  "Put the clips just removed back in the list")
        self.undo_remove.setEnabled(False)
        self.clear_queue = action("Clear &Clip List", c.clear_clips, tip="Forget every clip in the list")
        self.quit = action("&Quit", c.quit, "Ctrl+Q")
        self.rerun = action("&Run Again", c.rerun, "Ctrl+R", "Classify the current clip again")
        self.cancel = action("&Cancel", c.cancel, "Esc", "Stop the scan or classification in progress")
        self.scan = action("&Scan Whole Clip", c.scan_clip, "Ctrl+Shift+S",
                           "Slide the model's window over the whole clip: what happens when")
        self.export_timeline = action("Export &Timeline…", c.export_timeline, "Ctrl+Shift+E",
                                      "Save the whole-clip scan as CSV, JSON or SRT subtitles")
        self.export_timeline.setEnabled(False)
        self.export_results = action("Export &Results…", c.export_results, tip="Save the top-5 of every "
                                     "classified clip in the list (and the errors) as CSV or JSON")
        self.export_results.setEnabled(False)
        self.clear_graphs = action("Clear &Graphs", c.clear_graphs, "Ctrl+Shift+G",
                                   "Clear the latency and memory history")
        self.focus_clips = action("Go to &Clip List", c.focus_clips, "Ctrl+L")
        # Esc, while a view is chosen; Cancel has Esc otherwise (the window hands it over).
        self.whole_clip = action("&Whole Clip", c.whole_clip, "Esc",
                                 "Show the predictions for the whole clip again")
        self.whole_clip.setEnabled(False)
        self.models = action("&Models…", c.open_models, "Ctrl+M",
                             "Download, import, verify and remove models")
        self.benchmark = action("&Benchmark…", c.open_benchmark, "Ctrl+B",
                                "Run the model on the NPU and the CPU side by side")
        self.camera = action("&Camera…", c.open_camera, "Ctrl+Shift+C",
                             "Record a clip, or classify the camera live")
        self.teach = action("&Teach…", c.open_teach, "Ctrl+Shift+T",
                            "Teach your own actions from a few clips; the set becomes a model")
        self.library = action("&Library…", c.open_library, "Ctrl+Shift+L",
                              "Index folders of videos by action and search them")
        self.open_log = action("Open &Log Folder", c.open_log_folder)
        self.about = action("&About Kinetoscope", c.about)

        # The list's right-click menu: the actions added to it.
        separator = QAction(window)
        separator.setSeparator(True)
        clip_list.addActions([separator, self.clear_queue])

        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        # Each menu's items in order; None is a separator.
        menus: tuple[tuple[str, tuple[QAction | QMenu | None, ...]], ...] = (
            ("&File", (self.open, self.recent_menu, None, self.remove_clips, self.undo_remove, self.clear_queue,
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

    def _fill_recent(self) -> None:
        menu, c = self.recent_menu, self._commands
        menu.clear()
        remembered = c.recent_files()
        recent = [p for p in remembered if Path(p).exists()]
        for number, text in enumerate(recent, 1):
            label = f"&{number} {Path(text).name}" if number < 10 else Path(text).name
            item = menu.addAction(label)
            item.setToolTip(text)
            item.triggered.connect(lambda _=False, p=text: c.open_paths([p]))
        if not recent:
            menu.addAction("No recent clips").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Clear Recent Clips", c.clear_recent).setEnabled(bool(remembered))

