"""One download-and-install per model at a time, across processes and within one: the per-target
lock file, held by real second processes (killed, too) and real threads against the loopback server."""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import replace

import pytest

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import LoopbackServer, release_zip, write_catalog, zip_url_path
from lock_holder import kill, start_holder
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.modelfiles.catalog import Catalog, CatalogEntry, load_catalog
from kinetoscope.engine.modelfiles.download import part_path, sidecar_path
from kinetoscope.engine.errors import Busy, Cancelled
from kinetoscope.engine.modelfiles.file_lock import FileLock, held_elsewhere
from kinetoscope.engine.modelfiles.http_client import NetworkError, Timeouts
from kinetoscope.engine.modelfiles.model_library import (Status, discard_download, download_and_install, download_target,
                                              downloads_elsewhere, list_models, lock_path)
from kinetoscope.engine.modelfiles.model_store import available_models

FAST = Timeouts(connect=2, read=0.5)
BUSY = re.escape("resnet_3d (float) is already being downloaded by another Kinetoscope process")


@pytest.fixture
def catalog(tmp_path, http_server) -> Catalog:
    return load_catalog(write_catalog(tmp_path / "c.json", http_server, {"resnet_3d": ("float",)}))


@pytest.fixture
def entry(catalog) -> CatalogEntry:
    return catalog.find("resnet_3d", "float")


@pytest.fixture
def zip_bytes(tmp_path, http_server) -> bytes:
    data = release_zip(tmp_path, "resnet_3d", "float", weight_elems=100_000).read_bytes()
    http_server.serve(zip_url_path("resnet_3d", "float"), data)
    return data


def _files(entry: CatalogEntry) -> dict[str, bytes]:
    target = download_target(entry)
    return {p.name: p.read_bytes() for p in (part_path(target), sidecar_path(target))}


def _leave_a_part(server: LoopbackServer, entry: CatalogEntry, data: bytes) -> dict[str, bytes]:
    server.fault(zip_url_path("resnet_3d", "float"), drop_after=len(data) // 3)
    with pytest.raises(NetworkError):
        download_and_install(entry, timeouts=FAST)
    return _files(entry)


def test_two_locks_on_one_file_exclude_each_other_even_in_one_process(tmp_path):
    path = tmp_path / "x.zip.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.try_acquire() and first.held and first.holder_pid() == os.getpid()
    assert not second.try_acquire() and not second.held
    from_thread: list[bool] = []
    thread = threading.Thread(target=lambda: from_thread.append(FileLock(path).try_acquire()))
    thread.start()
    thread.join()
    assert from_thread == [False]
    first.release()
    assert second.try_acquire()
    second.release()
    assert not path.exists()  # the holder deletes it as it lets go


def test_a_taker_waiting_on_a_deleted_lock_file_locks_the_new_one(tmp_path):
    """The holder deletes the file as it lets go; one waiting on that file must not hold an orphan."""
    path = tmp_path / "x.zip.lock"
    first = FileLock(path)
    assert first.try_acquire()
    waiter = FileLock(path)
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(waiter.try_acquire(wait_s=5)))
    thread.start()
    time.sleep(0.2)  # the waiter has opened the file and is retrying its lock
    first.release()
    thread.join()
    assert got == [True] and path.is_file()
    assert os.stat(path).st_ino == os.fstat(waiter._fd).st_ino  # it holds the file at the path
    assert not FileLock(path).try_acquire() and held_elsewhere(path)  # which excludes others
    waiter.release()
    assert not path.exists()


def test_a_failed_download_leaves_no_lock_file(entry):
    """Offline (the server refuses the connection), as in the Models window's Download."""
    with pytest.raises(NetworkError):
        download_and_install(replace(entry, url="http://127.0.0.1:9/resnet_3d.zip"), timeouts=FAST)
    assert not list(lock_path(entry).parent.glob("*.lock"))


def test_another_process_holding_the_lock_refuses_at_once_and_its_death_frees_it(
        http_server, catalog, entry, zip_bytes):
    before = _leave_a_part(http_server, entry, zip_bytes)
    requests = len(http_server.requests)
    proc = start_holder(lock_path(entry))
    try:
        started = time.monotonic()
        with pytest.raises(Busy, match=BUSY) as err:
            download_and_install(entry, timeouts=FAST)
        assert time.monotonic() - started < 2.0  # refused at once (after the short peek wait), not after a download
        assert f"by process {proc.pid}" in err.value.detail
        with pytest.raises(Busy, match=BUSY):
            discard_download(entry)
        assert _files(entry) == before and len(http_server.requests) == requests  # nothing touched
        row = next(r for r in list_models(catalog) if r.key == entry.key)
        assert row.status is Status.PARTIAL and row.downloading_elsewhere
        assert row.to_json()["downloading_elsewhere"] is True and row.to_json()["status"] == "paused"
    finally:
        kill(proc)
    assert not next(r for r in list_models(catalog) if r.key == entry.key).downloading_elsewhere
    download_and_install(entry, timeouts=FAST)
    assert http_server.requests_for(zip_url_path("resnet_3d", "float"))[-1].headers["Range"] == \
        f"bytes={len(zip_bytes) // 3}-"
    # The killed holder's lock file went with the next download, which is no paused download.
    assert not lock_path(entry).exists() and not part_path(download_target(entry)).exists()
    assert [(m.model_id, m.precision) for m in available_models() if not m.bundled] == [entry.key]
    assert next(r for r in list_models(catalog) if r.key == entry.key).status is Status.INSTALLED


def test_a_second_download_of_one_model_in_the_same_process_is_refused(http_server, entry, zip_bytes):
    http_server.fault(zip_url_path("resnet_3d", "float"), stall_after=len(zip_bytes) // 2)
    token = CancelToken()
    outcome: list[BaseException] = []

    def first() -> None:
        try:
            download_and_install(entry, cancel=token, timeouts=Timeouts(connect=2, read=30))
        except BaseException as exc:  # noqa: BLE001 (checked below)
            outcome.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    part = part_path(download_target(entry))
    deadline = time.monotonic() + 5
    while not (part.is_file() and part.stat().st_size >= len(zip_bytes) // 2) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert part.is_file() and part.stat().st_size >= len(zip_bytes) // 2, "the first download never got halfway"
    before = _files(entry)
    with pytest.raises(Busy, match=BUSY):
        download_and_install(entry, timeouts=FAST)
    assert _files(entry) == before
    token.cancel()
    thread.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    download_and_install(entry, timeouts=FAST)  # the lock went with the first call
    assert not part.exists()


def test_a_peek_sees_other_holders_only_and_never_creates_the_lock_file(tmp_path, catalog, entry):
    path = tmp_path / "x.zip.lock"
    assert not held_elsewhere(path) and not path.exists()
    rows = list_models(catalog)  # peeks at every catalog entry
    assert not any(r.downloading_elsewhere for r in rows) and downloads_elsewhere(catalog) == set()
    assert not lock_path(entry).exists() and not lock_path(entry).parent.exists()
    mine = FileLock(path)
    assert mine.try_acquire()
    assert held_elsewhere(path)  # another open of the file, as another process would have
    mine.release()
    assert not held_elsewhere(path)
    lock_path(entry).parent.mkdir(parents=True)
    proc = start_holder(lock_path(entry))
    try:
        assert held_elsewhere(lock_path(entry)) and downloads_elsewhere(catalog) == {entry.key}
    finally:
        kill(proc)
    assert not held_elsewhere(lock_path(entry)) and downloads_elsewhere(catalog) == set()


def test_try_acquire_waits_up_to_wait_s_for_the_holder_to_let_go(tmp_path):
    path = tmp_path / "x.zip.lock"
    holder = FileLock(path)
    assert holder.try_acquire()
    started = time.monotonic()
    assert not FileLock(path).try_acquire(wait_s=0.2)
    assert 0.2 <= time.monotonic() - started < 2.0
    threading.Timer(0.1, holder.release).start()
    waiter = FileLock(path)
    started = time.monotonic()
    assert waiter.try_acquire(wait_s=2)
    assert time.monotonic() - started < 1
    waiter.release()


def test_peeks_in_a_tight_loop_never_make_a_download_fail(http_server, catalog, entry, zip_bytes):
    stop = threading.Event()
    peeks: list[bool] = []

    def peek() -> None:  # a pane re-checking as fast as it can, far faster than its real 1 Hz
        while not stop.is_set():
            peeks.append(held_elsewhere(lock_path(entry)))

    lock_path(entry).parent.mkdir(parents=True)
    lock_path(entry).touch()  # so every peek really takes the lock
    thread = threading.Thread(target=peek)
    thread.start()
    try:
        for _ in range(300):  # each takes and drops the lock while the peeks run
            discard_download(entry)
        download_and_install(entry, timeouts=FAST)
    finally:
        stop.set()
        thread.join(5)
    assert len(peeks) > 1000 and True in peeks  # it did peek, also while the download held the lock
    assert next(r for r in list_models(catalog) if r.key == entry.key).status is Status.INSTALLED
