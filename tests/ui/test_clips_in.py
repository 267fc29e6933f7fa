"""Getting clips in: folder drops, skipped non-videos, the queue, and a second launch's hand-off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton

from helpers import answer_next_dialog, choose_file, drop_files, wait_until
from locations import SAMPLES
from kinetoscope.ui.main.clip_queue import ClipState, expand_paths
from kinetoscope.ui.single_instance import InstanceServer, hand_off, server_name


def _folder_of_clips(root: Path) -> Path:
    folder = root / "holiday"
    (folder / "day2").mkdir(parents=True)
    shutil.copy(SAMPLES / "sample_moving_left.mp4", folder / "b_left.mp4")
    shutil.copy(SAMPLES / "sample_growing.mp4", folder / "day2" / "a_growing.MP4")
    (folder / "notes.txt").write_text("not a video")
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".hidden.mp4").write_bytes(b"")
    return folder


def test_expand_paths_walks_folders_and_separates_non_videos(tmp_path: Path) -> None:
    folder = _folder_of_clips(tmp_path)
    videos, skipped = expand_paths([folder, tmp_path / "loose.pdf"])
    assert [v.name for v in videos] == ["b_left.mp4", "a_growing.MP4"]
    assert sorted(p.name for p in skipped) == ["cover.jpg", "loose.pdf", "notes.txt"]


def test_dropping_a_folder_queues_its_videos_skips_the_rest_and_works_through_them(
        qapp: QApplication, make_window, tmp_path: Path) -> None:
    folder = _folder_of_clips(tmp_path)
    window = make_window(views=2)
    assert drop_files(window, [folder])
    clips = window.queue.clips()
    assert [c.name for c in clips] == ["b_left.mp4", "a_growing.MP4"]
    assert window.errors.isVisible()
    assert "Skipped 2 files that are not video" in window.errors.message
    assert "notes.txt" in window.errors.message and "cover.jpg" in window.errors.message
    assert window.current_clip == clips[0]
    # The first clip is on show; the queue then classifies the next one in the background.
    wait_until(qapp, lambda: all(window.queue.state(c) is ClipState.DONE for c in clips), what="the whole queue")
    assert window.current_clip == clips[0]
    # The status bar tells how the background clip ended instead of still saying it is classifying.
    assert window.status_text.text() == f"a_growing.MP4: {window.queue.model().index(1).data().splitlines()[-1]}"
    window.queue.clip_chosen.emit(clips[1])  # its result is already there: shown without a re-run
    assert window.runner.running is None
    assert window.clip_view.predictions.title() == "Whole clip"


def test_file_open_folder_queues_the_videos_of_the_chosen_folder(
        qapp: QApplication, make_window, tmp_path: Path) -> None:
    folder = _folder_of_clips(tmp_path)
    window = make_window(views=1)
    invitation = window.clip_view.findChildren(QPushButton)
    assert "Open Folder…" in [b.text() for b in invitation]  # the empty page offers it beside Open Clips…
    asked = answer_next_dialog(qapp, choose_file(folder), QFileDialog)  # the folder's name typed in
    window.actions_.open_folder.trigger()
    assert asked == ["Open a folder of clips"]
    assert [c.name for c in window.queue.clips()] == ["b_left.mp4", "a_growing.MP4"]
    assert "Skipped 2 files that are not video" in window.errors.message
    assert window.actions_.open_folder.shortcut().toString() == "Ctrl+Shift+O"
    wait_until(qapp, lambda: all(window.queue.state(c) is ClipState.DONE for c in window.queue.clips()),
               what="the folder's clips")


def test_a_non_video_alone_is_refused_with_a_message(qapp: QApplication, make_window, tmp_path: Path) -> None:
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    window = make_window()
    assert drop_files(window, [text])
    assert window.queue.count() == 0
    assert "readme.txt" in window.errors.message
    assert not window.clip_view.showing_clip  # still the "drop clips here" placeholder


def test_hand_off_reaches_the_running_instance(qapp: QApplication) -> None:
    server = InstanceServer()
    received: list[list[str]] = []
    server.clips_received.connect(received.append)
    assert server.listen()
    try:
        assert hand_off(["/some/clip.mp4", "relative.mp4"])
        wait_until(qapp, lambda: received, timeout_s=5, what="the hand-off message")
        assert received[0][0] == "/some/clip.mp4"
        assert received[0][1] == str(Path("relative.mp4").absolute())  # made absolute by the sender
    finally:
        server.close()
    assert not hand_off(["/x.mp4"])  # nobody listening: the caller must open its own window


def test_the_instance_name_depends_on_the_data_folder(monkeypatch, tmp_path: Path) -> None:
    first = server_name()
    monkeypatch.setenv("KINETOSCOPE_HOME", str(tmp_path / "elsewhere"))
    assert server_name() != first


def test_a_second_launch_hands_its_clip_to_the_first_window(qapp: QApplication, make_window,
                                                            sample_clip: Path) -> None:
    window = make_window(views=1)
    server = InstanceServer()
    server.clips_received.connect(window.open_paths)
    assert server.listen()
    try:
        started = time.monotonic()
        second = subprocess.Popen([sys.executable, "-m", "kinetoscope", "gui", str(sample_clip)],
                                  env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_until(qapp, lambda: second.poll() is not None, timeout_s=60, what="the second launch to exit")
        assert second.returncode == 0, second.stderr.read().decode(errors="replace")[-2000:]
        wait_until(qapp, lambda: window.queue.clips(), timeout_s=5, what="the handed-off clip")
        print(f"\nsecond launch handed off and exited in {time.monotonic() - started:.1f} s")
        assert window.queue.clips() == [sample_clip.resolve()]
        assert window.current_clip == sample_clip.resolve()
    finally:
        server.close()
