"""Resumable downloads against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from http_fixtures import http_server  # noqa: F401 (a fixture)
from http_fixtures import LoopbackServer
from kinetoscope.engine.modelfiles import download as dl
from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine import files
from kinetoscope.engine.files import DiskFull
from kinetoscope.engine.modelfiles.download import (DownloadRefused, download_file, part_path, partial_download,
                                         sidecar_path)
from kinetoscope.engine.errors import Cancelled
from kinetoscope.engine.modelfiles.http_client import NetworkError, Timeouts, UnsafeUrl, check_url

FAST = Timeouts(connect=2, read=0.5)
PAYLOAD = b"PK\x03\x04" + os.urandom(600_000)  # looks like a zip to the first-bytes sniff
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def dest(tmp_path) -> Path:
    return tmp_path / "dl" / "model.zip"


def _get(server: LoopbackServer, dest: Path, path: str = "/m.zip", **kw) -> dl.DownloadResult:
    return download_file(server.url(path), dest, timeouts=kw.pop("timeouts", FAST), **kw)


def test_whole_download_reports_progress_and_leaves_no_part(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    seen: list[dl.DownloadProgress] = []
    result = _get(http_server, dest, on_progress=seen.append)
    assert result.sha256 == SHA and result.size == len(PAYLOAD) and dest.read_bytes() == PAYLOAD
    assert not part_path(dest).exists() and not sidecar_path(dest).exists()
    assert seen[-1].done == len(PAYLOAD) and seen[-1].percent == 100 and seen[-1].total == len(PAYLOAD)
    assert all(p.speed_bps >= 0 for p in seen)


def test_dropped_connection_resumes_with_range_and_gives_the_same_bytes(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", drop_after=250_000)
    with pytest.raises(NetworkError, match=r"closed the connection at 41%") as err:
        _get(http_server, dest)
    assert err.value.resumable
    assert part_path(dest).stat().st_size == 250_000
    assert partial_download(dest).percent == 41

    result = _get(http_server, dest)
    resumed = http_server.requests_for("/m.zip")[-1].headers
    assert resumed["Range"] == "bytes=250000-"
    assert resumed["If-Range"].startswith('"')  # the ETag, so a changed file is not spliced
    assert result.resumed_from == 250_000
    assert result.sha256 == SHA and hashlib.sha256(dest.read_bytes()).hexdigest() == SHA


def test_a_stall_times_out_quickly_and_the_part_resumes(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", stall_after=100_000)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="stopped sending data at 16%") as err:
        _get(http_server, dest)
    assert time.monotonic() - started < 3
    assert err.value.resumable
    assert _get(http_server, dest).sha256 == SHA


@pytest.mark.parametrize("status, words", [(404, "not on the server"), (500, "HTTP 500"), (503, "HTTP 503")])
def test_error_statuses_are_plain_messages(http_server, dest, status, words):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", status=status)
    with pytest.raises(NetworkError, match=words) as err:
        _get(http_server, dest)
    assert err.value.status == status
    assert not dest.exists() and not part_path(dest).exists()


def test_server_without_range_support_restarts_cleanly(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", drop_after=300_000)
    with pytest.raises(NetworkError):
        _get(http_server, dest)
    http_server.fault("/m.zip", no_range=True, times=-1)
    result = _get(http_server, dest)
    assert http_server.requests_for("/m.zip")[-1].headers.get("Range") == "bytes=300000-"  # asked...
    assert result.resumed_from == 0                                                       # ...got 200
    assert result.size == len(PAYLOAD) and result.sha256 == SHA  # no bytes spliced twice


def test_file_changed_on_the_server_restarts_instead_of_splicing(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", drop_after=200_000)
    with pytest.raises(NetworkError):
        _get(http_server, dest)
    newer = b"PK\x03\x04" + os.urandom(500_000)
    http_server.serve("/m.zip", newer)  # new ETag: If-Range no longer matches, the server sends all
    result = _get(http_server, dest)
    assert result.resumed_from == 0 and dest.read_bytes() == newer


def test_stale_sidecar_for_another_url_is_not_resumed(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.serve("/other.zip", PAYLOAD)
    http_server.fault("/m.zip", drop_after=100_000)
    with pytest.raises(NetworkError):
        _get(http_server, dest)
    result = _get(http_server, dest, path="/other.zip")
    assert "Range" not in http_server.requests_for("/other.zip")[-1].headers
    assert result.sha256 == SHA


def test_html_error_page_served_with_200_is_refused(http_server, dest):
    http_server.serve("/m.zip", b"<html><body>Access denied</body></html>")
    http_server.fault("/m.zip", content_type="text/html; charset=utf-8")
    with pytest.raises(DownloadRefused, match=r"web page \(text/html\)"):
        _get(http_server, dest)
    assert not part_path(dest).exists()


def test_non_zip_bytes_with_a_binary_type_are_refused(http_server, dest):
    http_server.serve("/m.zip", b"not a zip at all" * 100)
    with pytest.raises(DownloadRefused, match="not a zip"):
        _get(http_server, dest)
    assert not part_path(dest).exists()


def test_huge_declared_size_is_refused_before_downloading(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", content_length=50 * 1024**3)
    with pytest.raises(DownloadRefused, match=r"53\.7 GB, more than a model needs"):
        _get(http_server, dest)
    assert not part_path(dest).exists() and not dest.exists()


def test_redirects_are_followed(http_server, dest):
    http_server.serve("/real.zip", PAYLOAD)
    http_server.redirects["/m.zip"] = "/real.zip"
    assert _get(http_server, dest).sha256 == SHA


def test_redirect_to_plain_http_elsewhere_is_refused(http_server, dest):
    http_server.redirects["/m.zip"] = "http://example.invalid/evil.zip"
    with pytest.raises(UnsafeUrl, match="only https"):
        _get(http_server, dest)


@pytest.mark.parametrize("url, ok", [
    ("https://qaihub-public-assets.s3.us-west-2.amazonaws.com/x.zip", True),
    ("http://127.0.0.1:8000/x.zip", True), ("http://127.4.5.6/x.zip", True), ("http://[::1]:80/x", True),
    ("http://localhost/x.zip", True), ("http://example.com/x.zip", False), ("http://10.0.0.1/x.zip", False),
    ("ftp://example.com/x.zip", False), ("file:///etc/passwd", False),
])
def test_only_https_or_loopback_http(url, ok):
    if ok:
        check_url(url)
    else:
        with pytest.raises(UnsafeUrl):
            check_url(url)


def test_cancel_keeps_the_part_and_a_later_call_resumes(http_server, dest):
    http_server.serve("/m.zip", PAYLOAD)
    token = CancelToken()

    def cancel_midway(p: dl.DownloadProgress) -> None:
        if p.done >= 200_000:
            token.cancel()

    # Small reads and no throttling make the callback see the middle of the file.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dl, "CHUNK", 16 * 1024)
        mp.setattr(dl, "PROGRESS_INTERVAL_S", 0.0)
        with pytest.raises(Cancelled):
            _get(http_server, dest, cancel=token, on_progress=cancel_midway)
    kept = part_path(dest).stat().st_size
    assert 200_000 <= kept < len(PAYLOAD)
    result = _get(http_server, dest)
    assert result.resumed_from == kept and result.sha256 == SHA


def test_not_enough_space_for_the_declared_size_is_said_before_downloading(http_server, dest, monkeypatch):
    http_server.serve("/m.zip", PAYLOAD)
    monkeypatch.setattr(files.shutil, "disk_usage", lambda _p: type("U", (), {"free": 1000})())
    with pytest.raises(DiskFull, match=r"needs \d+ kB but only 1 kB is free"):
        _get(http_server, dest)
    assert not part_path(dest).exists() or part_path(dest).stat().st_size == 0


@contextlib.contextmanager
def tiny_disk(path: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` (needs root); skips the test where mounting is not allowed."""
    path.mkdir(parents=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if proc.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_real_disk_full_while_writing_is_a_clear_message(http_server, tmp_path, monkeypatch):
    """The free-space pre-check is switched off so the kernel's own ENOSPC (from a 256 KiB tmpfs)
    reaches the write call."""
    http_server.serve("/m.zip", PAYLOAD)
    monkeypatch.setattr(dl, "require_free_space", lambda *_a: None)
    with tiny_disk(tmp_path / "disk", "256k") as disk:
        with pytest.raises(DiskFull, match="The disk is full: the download stopped at"):
            _get(http_server, disk / "model.zip")
        assert part_path(disk / "model.zip").exists()  # kept: free space, then resume


def test_cancel_during_a_stall_is_prompt(http_server, dest):
    """The read timeout is long here; the cancel must not wait for it."""
    http_server.serve("/m.zip", PAYLOAD)
    http_server.fault("/m.zip", stall_after=300_000)
    token = CancelToken()
    timer = threading.Timer(0.4, token.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        _get(http_server, dest, cancel=token, timeouts=Timeouts(connect=2, read=8))
    assert time.monotonic() - started < 2
    assert part_path(dest).stat().st_size == 300_000


def test_the_system_proxy_is_used_except_for_loopback(monkeypatch):
    """Selection only: an end-to-end proxy test would need TLS to a non-loopback host."""
    from kinetoscope.engine.modelfiles import http_client
    monkeypatch.setenv("https_proxy", "http://alice:s%40cret@proxy.corp:3128")
    monkeypatch.setenv("no_proxy", "mirror.corp")
    for name in ("HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert http_client._proxy_for("https", "qaihub-public-assets.s3.us-west-2.amazonaws.com") == \
        "http://alice:s%40cret@proxy.corp:3128"
    assert http_client._proxy_for("https", "mirror.corp") is None
    assert http_client._proxy_for("http", "127.0.0.1") is None
    assert http_client._auth_header("http://alice:s%40cret@proxy.corp:3128") == \
        {"Proxy-Authorization": "Basic YWxpY2U6c0BjcmV0"}
