"""Settings survive a restart, are written atomically, and a bad file never stops the app."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication

from helpers import wait_until
from kinetoscope.settings import MAX_RECENT, SETTINGS_VERSION, Settings, SettingsStore
from kinetoscope.ui.main.clip_queue import ClipState


def test_round_trip_and_atomic_write(home: Path) -> None:
    store = SettingsStore()
    assert store.path.parent == home
    assert store.load() == Settings()
    saved = Settings(device="npu", views=3, precision="w8a8").with_recent("/a.mp4").with_recent("/b.mp4")
    assert store.save(saved)
    assert store.load() == saved
    assert saved.recent_files == ("/b.mp4", "/a.mp4")
    assert [p.name for p in home.iterdir()] == ["settings.json"]  # no temporary file left behind


def test_recent_files_are_capped_and_deduplicated() -> None:
    s = Settings()
    for i in range(MAX_RECENT + 5):
        s = s.with_recent(f"/clip{i}.mp4")
    s = s.with_recent("/clip3.mp4")
    assert len(s.recent_files) == MAX_RECENT
    assert s.recent_files[0] == "/clip3.mp4"
    assert s.recent_files.count("/clip3.mp4") == 1


def test_bad_files_and_values_fall_back_to_defaults(home: Path) -> None:
    store = SettingsStore()
    store.path.write_text("{not json")
    assert store.load() == Settings()
    store.path.write_text(json.dumps({"views": "five", "device": "gpu", "recent_files": [1, 2], "model_id": "x"}))
    loaded = store.load()
    assert (loaded.views, loaded.device, loaded.recent_files, loaded.model_id) == (0, "cpu", (), "x")  # views 0: the model's own


def test_an_unversioned_file_is_migrated(home: Path) -> None:
    store = SettingsStore()
    store.path.write_text(json.dumps({"views": 7}))
    loaded = store.load()
    assert loaded.views == 7 and loaded.version == SETTINGS_VERSION


def test_the_segment_rule_round_trips_migrates_and_rejects_values_out_of_range(home: Path) -> None:
    store = SettingsStore()
    chosen = Settings(segment_threshold=0.4, segment_smoothing=1, segment_min_windows=3)
    assert store.save(chosen) and store.load() == chosen
    # A version 1 file (before the rule was saved) gets the engine's default rule.
    store.path.write_text(json.dumps({"version": 1, "views": 2}))
    old = store.load()
    assert (old.segment_threshold, old.segment_smoothing, old.segment_min_windows, old.views) == (0.25, 3, 1, 2)
    assert old.version == SETTINGS_VERSION == 2
    # A hand-edited whole number is a threshold; a rule out of range falls back to the default, whole.
    store.path.write_text(json.dumps({"version": 2, "segment_threshold": 1, "segment_smoothing": 5}))
    assert (store.load().segment_threshold, store.load().segment_smoothing) == (1.0, 5)
    store.path.write_text(json.dumps({"version": 2, "segment_threshold": 1.5, "segment_smoothing": 5}))
    assert (store.load().segment_threshold, store.load().segment_smoothing) == (0.25, 3)
    store.path.write_text(json.dumps({"version": 2, "segment_min_windows": 0}))
    assert store.load().segment_min_windows == 1


def test_window_state_survives_close_and_reopen(qapp: QApplication, make_window, sample_clip: Path) -> None:
    first = make_window(views=3)
    first.resize(1111, 777)
    first.open_paths([sample_clip])
    wait_until(qapp, lambda: first.queue.state(sample_clip.resolve()) is ClipState.DONE, what="the classification")
    first.controls.views_spin.setValue(4)
    wait_until(qapp, lambda: first.settings.views == 4, what="the views change to be saved")
    first.close()

    second = make_window()
    assert second.controls.options().views == 4
    assert second.controls.options().model_id == "motion_demo"
    assert second.controls.options().device == "cpu"
    assert (second.width(), second.height()) == (1111, 777)
    assert second.settings.recent_files[0] == str(sample_clip.resolve())
    second.actions_.recent_menu.aboutToShow.emit()
    names = [a.text() for a in second.actions_.recent_menu.actions()]
    assert names[0] == f"&1 {sample_clip.name}"
    second.actions_.recent_menu.actions()[0].trigger()  # Open Recent reopens it
    assert second.queue.clips() == [sample_clip.resolve()]
