"""The library engine on real clips: indexing through the scan engine, search against the scan's
own segments, moved / edited / deleted / unreadable files, a damaged database, pause and cancel,
and a second connection while the indexer writes."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from kinetoscope.engine.errors import Busy
from kinetoscope.engine.inference.classify import VideoClassifier
from kinetoscope.engine.inference.scan import SCAN_CPU
from kinetoscope.engine.library.database import SCHEMA_VERSION, LibraryPaths, LibraryTooNew, connect
from kinetoscope.engine.library.folders import add_folder, remove_folder, sync
from kinetoscope.engine.library.indexer import IndexProgress, Indexer
from kinetoscope.engine.library.search import SearchQuery, known_labels, search
from kinetoscope.engine.library.status import library_status
from kinetoscope.engine.library.store import stored_scan
from library_clips import compilation, copy_into
from motion_clips import joined_motions

CLIPS = ("arm_wrestling_340x256_28fps.mp4", "clip_340x256_30fps.mp4", "clip_426x240_29.97fps.mp4")


@pytest.fixture(scope="module")
def demo() -> VideoClassifier:
    return VideoClassifier.open("motion_demo", "cpu", cpu=SCAN_CPU)


@pytest.fixture(scope="module")
def sources(media, tmp_path_factory) -> dict[str, Path]:
    """Made once: two motions joined (moving left, then rotating clockwise) and a compilation of real clips."""
    root = tmp_path_factory.mktemp("library_sources")
    return {"motions": joined_motions(root / "motions.mp4", count=2, width=160, height=120),
            "compilation": compilation(root / "compilation.mp4", [media / c for c in CLIPS[:2]])}


@pytest.fixture
def library(tmp_path, media, sources) -> tuple[LibraryPaths, Path]:
    """A library with one folder: three real clips, the motions clip in a subfolder, a compilation,
    a broken file and a text file."""
    folder = tmp_path / "videos"
    copy_into(folder, [media / c for c in CLIPS])
    copy_into(folder / "sub", [sources["motions"]])
    shutil.copy2(sources["compilation"], folder / "compilation.mp4")
    (folder / "broken.mp4").write_bytes(b"\x00not a video" * 500)
    (folder / "notes.txt").write_text("not a clip")
    paths = LibraryPaths(tmp_path / "home")
    db, notice = connect(paths)
    assert notice == ""
    add_folder(db, paths, folder)
    db.close()
    return paths, folder


def _index(paths: LibraryPaths, classifier: VideoClassifier, **kw):
    done = []
    report = Indexer(paths, classifier, on_file=done.append, **kw).run()
    return report, done


def test_index_then_search_finds_what_the_scan_reports(library, demo):
    paths, folder = library
    report, done = _index(paths, demo)
    assert (report.indexed, report.failed, report.remaining, report.cancelled) == (5, 1, 0, False)
    assert report.sync.added == 6          # five videos and the broken one; the text file is no video
    assert [f.path.name for f in done if f.error] == ["broken.mp4"]
    db, _ = connect(paths)
    try:
        labels = known_labels(db)
        assert "moving left" in labels and "rotating clockwise" in labels
        for clip in sorted(folder.rglob("*.mp4")):
            if clip.name == "broken.mp4":
                continue
            scan = demo.scan(clip)      # the bare scan, as `kinetoscope scan` does it
            stored = stored_scan(db, clip)
            assert stored is not None and stored.model.id == "motion_demo"
            assert [(s.label, s.start_s, s.end_s) for s in stored.segments] == \
                [(s.label, pytest.approx(s.start_s), pytest.approx(s.end_s)) for s in scan.segments]
            assert [round(s.prob, 5) for s in stored.segments] == [round(s.prob, 5) for s in scan.segments]
            assert len(stored.windows) == len(scan.windows)
            assert [w.top5[0].label for w in stored.windows] == [w.top5[0].label for w in scan.windows]
            # Every segment of the scan is found by searching its action, in this file.
            for seg in scan.segments:
                hits = {f.path: f for f in search(db, SearchQuery(seg.label))}
                assert clip in hits
                assert any(h.start_s == pytest.approx(seg.start_s) and h.prob == pytest.approx(seg.prob)
                           and h.model_id == "motion_demo" for h in hits[clip].hits)
        motions = folder / "sub" / "motions.mp4"
        first = search(db, SearchQuery("moving left", min_prob=0.5))
        assert motions in [f.path for f in first]
        hit = next(f for f in first if f.path == motions).hits[0]
        assert hit.start_s == 0.0 and 4.0 <= hit.end_s <= 6.0
    finally:
        db.close()


def test_search_ranks_groups_and_filters(library, demo):
    paths, folder = library
    _index(paths, demo)
    db, _ = connect(paths)
    try:
        everything = search(db, SearchQuery("rotating"))   # part of a label: both rotations
        assert {h.label for f in everything for h in f.hits} >= {"rotating clockwise"}
        bests = [f.best for f in everything]
        assert bests == sorted(bests, reverse=True)
        for f in everything:
            assert [h.start_s for h in f.hits] == sorted(h.start_s for h in f.hits)
            assert f.best == max(h.prob for h in f.hits)
        strong = search(db, SearchQuery("rotating", min_prob=0.45))
        assert all(h.prob >= 0.45 for f in strong for h in f.hits)
        assert sum(len(f.hits) for f in strong) < sum(len(f.hits) for f in everything)
        long = search(db, SearchQuery("rotating", min_length_s=3.0))
        assert long and all(h.end_s - h.start_s >= 3.0 for f in long for h in f.hits)
        sub = search(db, SearchQuery("rotating clockwise", folder=str(folder / "sub")))
        assert [f.path for f in sub] == [folder / "sub" / "motions.mp4"]
        # Dates are the files' modification dates.
        old = folder / CLIPS[1]
        os.utime(old, (time.time(), 1_000_000_000))    # 2001
        sync(db)                                        # touched, same content: scan kept
        assert stored_scan(db, old) is not None
        until = search(db, SearchQuery("rotating", until=1_100_000_000))
        assert [f.path for f in until] == ([old] if any(f.path == old for f in everything) else [])
        since = search(db, SearchQuery("rotating", since=1_100_000_000))
        assert old not in [f.path for f in since]
        assert search(db, SearchQuery("no such action")) == []
        assert search(db, SearchQuery("rotating", model_id="i3d_kinetics")) == []
    finally:
        db.close()


def test_moved_file_keeps_its_scan_and_edited_file_is_scanned_again(library, demo, sources):
    paths, folder = library
    _index(paths, demo)
    db, _ = connect(paths)
    scan_ids = dict(db.execute("SELECT f.path, s.id FROM scans s JOIN files f ON f.id = s.file_id"))
    db.close()
    moved_to = folder / "elsewhere" / "renamed.mp4"
    moved_to.parent.mkdir()
    (folder / CLIPS[0]).rename(moved_to)
    # Edited: the compilation replaced by other content under the same name.
    edited = folder / "compilation.mp4"
    shutil.copy2(sources["motions"], edited)
    (folder / CLIPS[2]).unlink()
    report, done = _index(paths, demo)
    assert (report.sync.moved, report.sync.changed, report.sync.removed) == (1, 1, 1)
    assert [f.path for f in done] == [edited]                 # only the edited file was scanned
    db, _ = connect(paths)
    try:
        now = dict(db.execute("SELECT f.path, s.id FROM scans s JOIN files f ON f.id = s.file_id"))
        assert now[str(moved_to)] == scan_ids[str(folder / CLIPS[0])]   # the same scan row, moved
        assert str(folder / CLIPS[2]) not in now                        # deleted: dropped out
        assert now[str(edited)] != scan_ids[str(edited)]
        found = [f.path for f in search(db, SearchQuery("moving left", min_prob=0.5))]
        assert set(found) == {folder / "sub" / "motions.mp4", edited}   # the new content is found
        assert library_status(db).files == 5
    finally:
        db.close()


def test_unreadable_file_is_listed_once_until_it_changes(library, demo, media):
    paths, folder = library
    report, _ = _index(paths, demo)
    assert report.failed == 1
    report, done = _index(paths, demo)
    assert (report.indexed, report.failed, done) == (0, 0, [])
    db, _ = connect(paths)
    status = library_status(db, paths.db)
    db.close()
    assert status.unreadable == ((str(folder / "broken.mp4"), "This file is not a video Kinetoscope can read: broken.mp4."),)
    shutil.copy2(media / CLIPS[1], folder / "broken.mp4")     # fixed: a real clip now
    report, done = _index(paths, demo)
    assert (report.sync.changed, report.indexed, [f.path.name for f in done]) == (1, 1, ["broken.mp4"])


def test_remove_folder_takes_its_files_out(library, demo):
    paths, folder = library
    _index(paths, demo)
    db, _ = connect(paths)
    try:
        assert remove_folder(db, paths, folder) == 6
        status = library_status(db)
        assert (status.files, status.segments, status.folders) == (0, 0, ())
    finally:
        db.close()


def test_damaged_database_is_set_aside_and_started_again(library, demo):
    paths, folder = library
    _index(paths, demo)
    paths.db.write_bytes(b"this is not an SQLite file" * 200)
    for side in ("-wal", "-shm"):
        paths.db.with_name(paths.db.name + side).unlink(missing_ok=True)
    db, notice = connect(paths)
    try:
        assert notice.startswith("The library's database could not be read, so it was set aside as library.sqlite.damaged-")
        assert notice.endswith("its 1 folder will be indexed again.")
        assert library_status(db).folders[0].path == str(folder)
    finally:
        db.close()
    assert len(list(paths.folder.glob("library.sqlite.damaged-*"))) == 1
    report, _ = _index(paths, demo)
    assert report.indexed == 5


def test_newer_schema_is_refused_and_left_alone(tmp_path):
    paths = LibraryPaths(tmp_path)
    db, _ = connect(paths)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LibraryTooNew, match="newer Kinetoscope"):
        connect(paths)
    assert paths.db.exists() and not list(tmp_path.glob("*.damaged-*"))


def test_pause_resume_and_cancel_between_windows(library, demo):
    paths, _ = library
    seen: list[IndexProgress] = []
    indexer = Indexer(paths, demo, on_progress=seen.append)
    first_file = threading.Event()
    indexer.on_file = lambda f: f.error or first_file.set()
    result: list = []
    worker = threading.Thread(target=lambda: result.append(indexer.run()))
    worker.start()
    assert first_file.wait(60)
    indexer.pause()
    time.sleep(0.5)
    paused_at = len(seen)
    time.sleep(1.0)
    assert len(seen) <= paused_at + 1 and seen[-1].paused     # nothing moves while paused
    indexer.resume()
    deadline = time.monotonic() + 30
    while len(seen) <= paused_at + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not seen[-1].paused
    indexer.cancel()
    worker.join(30)
    report = result[0]
    assert report.cancelled and report.indexed >= 1 and report.remaining >= 1
    progress = [p for p in seen if not p.paused]
    assert progress[-1].files_total == 5 and progress[-1].seconds_total > 30
    assert any(p.eta_s is not None for p in progress)
    db, _ = connect(paths)
    assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == report.indexed   # committed ones kept
    db.close()
    report, _ = _index(paths, demo)
    assert (report.indexed, report.failed) == (5 - result[0].indexed, 0)


def test_readers_and_a_second_writer_work_while_indexing(library, demo, tmp_path):
    paths, _ = library
    other = tmp_path / "more"
    other.mkdir()
    indexer = Indexer(paths, demo)
    committed = threading.Event()

    def first_file_done(file) -> None:
        if file.error:       # the broken file, reported before any scan
            return
        indexer.pause()      # held mid-run, its lock taken, however fast the machine scans the rest
        committed.set()

    indexer.on_file = first_file_done
    worker = threading.Thread(target=indexer.run)
    worker.start()
    try:
        db, _ = connect(paths)      # as the window or another CLI would
        assert search(db, SearchQuery("rotating")) is not None   # reading while the indexer scans
        assert committed.wait(60)
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] >= 1
        add_folder(db, paths, other)          # a write between the indexer's transactions
        with pytest.raises(Busy, match="indexing this library now"):
            Indexer(paths, demo).run()        # one writer of scans at a time
        db.close()
    finally:
        indexer.cancel()
        worker.join(30)


def test_database_is_wal_with_a_busy_timeout(tmp_path):
    db, _ = connect(LibraryPaths(tmp_path))
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        plan = " ".join(str(r) for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM segments WHERE label IN ('a', 'b') AND prob >= 0.5"))
        assert "segments_label_prob" in plan
    finally:
        db.close()


def test_indexer_heap_stays_flat_over_many_files(tmp_path, demo):
    import gc
    import tracemalloc

    from locations import SAMPLES

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(90):
        os.symlink(SAMPLES / "sample_moving_left.mp4", folder / f"clip_{n:03d}.mp4")
    paths = LibraryPaths(tmp_path / "home")
    db, _ = connect(paths)
    add_folder(db, paths, folder)
    db.close()
    heap: dict[int, int] = {}

    def measured(_f) -> None:  # noqa: ANN001
        gc.collect()
        heap[len(heap) + 1] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        report = Indexer(paths, demo, on_file=measured).run()
    finally:
        tracemalloc.stop()
    assert report.indexed == 90
    # A kept ScanResult is tens of KB (every window's probabilities); 60 of them would be megabytes.
    grown = heap[90] - heap[30]
    assert grown < 60_000, f"the heap grew {grown} bytes over 60 files"
