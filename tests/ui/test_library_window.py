"""The Library window with the real engine: add a folder and index it, pause and cancel, search with
thumbnails decoded off the GUI thread, open a result in the main window at its moment with its
scan; and the CLI using the same library while the window indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from helpers import wait_until
from locations import MEDIA
from kinetoscope.engine.library.database import LibraryPaths
from kinetoscope.engine.modelfiles.model_store import available_models
from kinetoscope.ui.library.window import LibraryWindow
from motion_clips import joined_motions
from test_cli import run_cli


@pytest.fixture(scope="module")
def motions(tmp_path_factory) -> Path:
    """Moving left until 5 s, then rotating clockwise until 10 s."""
    return joined_motions(tmp_path_factory.mktemp("library-window") / "motions.mp4", count=2, width=160, height=120)


@pytest.fixture
def folder(tmp_path, motions, media) -> Path:
    folder = tmp_path / "videos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy2(motions, folder / "sub" / "motions.mp4")
    for name in ("arm_wrestling_340x256_28fps.mp4", "clip_340x256_30fps.mp4"):
        shutil.copy2(media / name, folder / name)
    return folder


@pytest.fixture
def make_library(qapp: QApplication, home: Path):
    windows: list[LibraryWindow] = []
    opened: list[tuple] = []

    def make() -> LibraryWindow:
        window = LibraryWindow(open_moment=lambda *args: opened.append(args), preferred_model=lambda: "motion_demo")
        window.opened = opened
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()
        window.close()
        window.deleteLater()
    qapp.processEvents()


def _index(qapp, window: LibraryWindow, folder: Path) -> None:
    window.add_folder(folder)
    wait_until(qapp, lambda: window.runner.running, what="indexing to start")
    wait_until(qapp, lambda: not window.runner.running and window.last_report is not None, timeout_s=180,
               what="indexing")


def test_add_index_search_thumbnails_and_open(qapp, make_library, folder) -> None:
    window = make_library()
    assert window.folders.model_combo.currentData().model_id == "motion_demo"
    _index(qapp, window, folder)
    assert window.last_report.indexed == 3
    assert "Indexed 3 files with Motion demo" in window.folders.state.text()
    wait_until(qapp, lambda: window.folders.folders.count() == 1 and "3 videos" in window.folders.summary.text(),
               what="the status")
    wait_until(qapp, lambda: "moving left" in window.search.labels.stringList(), what="completion labels")

    QTest.keyClicks(window.search.action_edit, "moving left")
    QTest.keyClick(window.search.action_edit, Qt.Key.Key_Return)
    tree = window.search.results
    wait_until(qapp, lambda: tree.topLevelItemCount() >= 1, what="results")
    top = tree.topLevelItem(0)
    assert top.text(0).startswith("motions.mp4")
    first = top.child(0)
    assert first.text(0).startswith("0:00.0 – ") and first.text(1) == "moving left" and first.text(3) == "Motion demo"
    assert "moment" in window.search.said.text() and "ms)" in window.search.said.text()
    wait_until(qapp, lambda: not first.icon(0).isNull(), what="the thumbnail")
    assert window.thumbnails.decoded >= 1
    decoded = window.thumbnails.decoded
    # The same search again: thumbnails come from the cache, nothing is decoded twice.
    window.run_search(window.search.query())
    wait_until(qapp, lambda: tree.topLevelItemCount() >= 1 and not tree.topLevelItem(0).child(0).icon(0).isNull(),
               what="cached thumbnail")
    assert window.thumbnails.decoded == decoded

    tree.setFocus()
    tree.setCurrentItem(tree.topLevelItem(0).child(0))
    QTest.keyClick(tree, Qt.Key.Key_Return)
    wait_until(qapp, lambda: window.opened, what="open_moment")
    path, at_s, scan = window.opened[-1]
    assert path == folder / "sub" / "motions.mp4" and at_s == 0.0
    assert scan.model.id == "motion_demo" and scan.segments[0].label == "moving left"
    assert scan.windows and scan.windows[0].top5[0].label == "moving left"


def test_pause_and_cancel_from_the_window(qapp, make_library, folder) -> None:
    for n in range(4):
        shutil.copy2(folder / "sub" / "motions.mp4", folder / f"copy_{n}.mp4")
    window = make_library()
    window.add_folder(folder)
    wait_until(qapp, lambda: window.folders.progress.format().endswith("files"), what="progress")
    window.folders.pause_button.click()
    assert window.folders.pause_button.text() == "&Resume"
    wait_until(qapp, lambda: "(paused)" in window.folders.state.text(), what="paused")
    window.folders.pause_button.click()
    wait_until(qapp, lambda: "(paused)" not in window.folders.state.text(), what="resumed")
    window.folders.cancel_button.click()
    wait_until(qapp, lambda: not window.runner.running, what="cancelled")
    assert window.folders.state.text().startswith("Cancelled; the files indexed so far stay.")
    assert window.folders.index_button.isEnabled()


def test_the_cli_uses_the_library_while_the_window_indexes(qapp, make_library, folder, home) -> None:
    for n in range(6):
        shutil.copy2(folder / "sub" / "motions.mp4", folder / f"copy_{n}.mp4")
    window = make_library()
    window.add_folder(folder)
    wait_until(qapp, lambda: window.runner.running and window.folders.progress.format().startswith("1 of"),
               what="a first file indexed")
    # Paused, the window's run still holds the library's one writer place (a file lock), as it does
    # mid-file; pausing keeps the run going for as long as the CLI takes to start (seconds).
    window.folders.pause_button.click()
    search = run_cli("library", "search", "moving left", "--json")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["action"] == "moving left"
    status = run_cli("library", "status", "--json")
    assert json.loads(status.stdout)["models"][0]["files"] >= 1     # what the window committed so far
    second = run_cli("library", "index", "--model", "motion_demo")
    assert second.returncode == 1 and "is indexing this library now" in second.stderr
    added = run_cli("library", "add", str(MEDIA))     # a write while the window's indexer writes
    assert added.returncode == 0, added.stderr
    assert window.runner.running
    window.folders.pause_button.click()
    wait_until(qapp, lambda: not window.runner.running, timeout_s=240, what="indexing")
    assert window.last_report is not None and window.last_report.indexed >= 9


def test_a_result_opens_in_the_main_window_at_its_moment_with_its_scan(qapp, make_window, folder) -> None:
    from kinetoscope.engine.inference.classify import VideoClassifier

    main = make_window()
    clip = folder / "sub" / "motions.mp4"
    scan = VideoClassifier.open("motion_demo", "cpu").scan(clip)
    main.show_moment(clip, 5.5, scan)
    assert main.current_clip == clip
    assert main.clip_view.page_on_show() is main.scan_pane
    assert main.scan_pane.result() is scan
    assert main.scan_pane.timeline.isVisibleTo(main)
    wait_until(qapp, lambda: abs(main.clip_view.preview.position_s() - 5.5) < 0.2, what="the preview at 5.5 s")


def test_tools_menu_opens_the_library(qapp, make_window) -> None:
    main = make_window()
    main.actions_.library.trigger()
    library = main.tools.library
    assert library is not None and library.isVisible() and library.windowTitle() == "Library"
    assert library._device() == main.controls.options().device == "cpu"  # noqa: SLF001 - what indexing runs on
    library.close()
    assert main.actions_.library.shortcut().toString() == "Ctrl+Shift+L"
    assert LibraryPaths.default().folder.exists()
    assert any(m.model_id == "motion_demo" for m in available_models())
