"""Resumable downloads of model zips: streamed to a `.part` file with a sidecar describing it.

Resume logic. While bytes arrive they go to `<dest>.part`; before the first byte is written,
`<dest>.part.json` records the URL and the server's validators (ETag, Last-Modified) and size.
A later call for the same URL, after a dropped connection, a stall, a cancel or an app restart,
asks for the rest with `Range: bytes=<have>-` and `If-Range: <validator>`:
- 206 whose Content-Range starts at <have> and whose size and ETag match: append.
- 200 (the server ignores Range, or If-Range saw a changed file): start over from this response.
- 416 with the size we already have: the part is complete (we stopped just before renaming).
Without a strong ETag or a Last-Modified there is no safe way to tell whether the file changed,
so such a part is never resumed. Only a complete file is renamed to `dest`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from kinetoscope.engine.cancel import CancelToken
from kinetoscope.engine.errors import KinetoscopeError
from kinetoscope.engine.files import DiskFull, require_free_space, sha256_file
from kinetoscope.engine.modelfiles.http_client import NetworkError, Response, Timeouts, check_url, open_url
from kinetoscope.words import size_text

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 4 * 1024**3  # the largest AI Hub video classifier zip is ~130 MB
CHUNK = 256 * 1024
PROGRESS_INTERVAL_S = 0.1
SPEED_WINDOW_S = 3.0
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class DownloadRefused(KinetoscopeError):
    """The server offers something the app will not download (too big, a web page, not a zip)."""


class _Restart(Exception):
    """Internal: the part cannot be continued; the caller retries from zero."""


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes so far (including any resumed part), the total when known, and the recent speed."""

    done: int
    total: int | None
    speed_bps: float
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else int(self.fraction * 100)

    @property
    def eta_s(self) -> float | None:
        if not self.total or self.speed_bps <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.speed_bps)


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    url: str
    size: int
    sha256: str
    resumed_from: int


@dataclass(frozen=True)
class PartState:
    """What the sidecar remembers about a `.part` file."""

    url: str
    etag: str | None
    last_modified: str | None
    total: int | None

    @property
    def validator(self) -> str | None:
        """What If-Range may carry: a strong ETag, else the Last-Modified date."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


@dataclass(frozen=True)
class PartialDownload:
    done: int
    total: int | None

    @property
    def percent(self) -> int | None:
        return int(self.done * 100 / self.total) if self.total else None


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def sidecar_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def read_part_state(dest: Path) -> PartState | None:
    try:
        data = json.loads(sidecar_path(dest).read_text(encoding="utf-8"))
        return PartState(url=str(data["url"]), etag=data.get("etag"), last_modified=data.get("last_modified"),
                         total=int(data["total"]) if data.get("total") is not None else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def partial_download(dest: Path, url: str | None = None) -> PartialDownload | None:
    """A resumable part of `dest` left by an earlier attempt (for `url`, if given), or None."""
    state = read_part_state(dest)
    part = part_path(dest)
    if state is None or not part.is_file() or state.validator is None or (url and state.url != url):
        return None
    return PartialDownload(part.stat().st_size, state.total)


def discard_partial(dest: Path) -> None:
    for p in (part_path(dest), sidecar_path(dest)):
        p.unlink(missing_ok=True)


def _write_state(dest: Path, state: PartState) -> None:
    side = sidecar_path(dest)
    tmp = side.with_name(side.name + ".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")
    os.replace(tmp, side)


def _pct(done: int, total: int | None) -> str:
    return f"{int(done * 100 / total)}%" if total else f"{done / 1e6:.1f} MB"



class _Meter:
    """Turns a stream of byte counts into throttled progress reports with a windowed speed."""

    def __init__(self, report: Callable[[DownloadProgress], None] | None, start: int, total: int | None) -> None:
        self.report, self.start, self.total = report, start, total
        self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), start)])
        self.last_report = 0.0
        self.last_percent = -1

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > SPEED_WINDOW_S:
            self.samples.popleft()
        # Each new whole percent is reported even when throttled, so a display never shows a
        # figure older than the last byte (which matters when the server then stalls).
        percent = done * 100 // self.total if self.total else -1
        if self.report is None or (not force and now - self.last_report < PROGRESS_INTERVAL_S
                                   and percent == self.last_percent):
            return
        self.last_report, self.last_percent = now, percent
        t0, d0 = self.samples[0]
        speed = (done - d0) / (now - t0) if now > t0 else 0.0
        self.report(DownloadProgress(done, self.total, speed, self.start))


def download_file(url: str, dest: Path, *, cancel: CancelToken | None = None,
                  on_progress: Callable[[DownloadProgress], None] | None = None,
                  timeouts: Timeouts = Timeouts(), max_bytes: int = MAX_DOWNLOAD_BYTES,
                  expect_zip: bool = True) -> DownloadResult:
    """Download `url` to `dest`, resuming an earlier `.part` when that is safe.

    Raises NetworkError (resumable ones keep the part), DownloadRefused, DiskFull, Cancelled
    (the part is kept), UnsafeUrl.
    """
    args = (url, dest, cancel, on_progress, timeouts, max_bytes, expect_zip)
    try:
        return _attempt(*args)
    except _Restart:
        # The range answer could not continue the part (the file changed in a way If-Range did
        # not catch); the part is gone now, so this second attempt starts from zero.
        return _attempt(*args)


def _attempt(url: str, dest: Path, cancel: CancelToken | None,
             on_progress: Callable[[DownloadProgress], None] | None, timeouts: Timeouts, max_bytes: int,
             expect_zip: bool) -> DownloadResult:
    check_url(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    state = read_part_state(dest)
    have = part.stat().st_size if part.is_file() else 0
    resume = state is not None and state.url == url and state.validator is not None and have > 0
    if not resume:
        discard_partial(dest)
        have, state = 0, None
    headers = {"Range": f"bytes={have}-", "If-Range": state.validator} if resume and state else {}
    if resume:
        log.info("resuming %s at %d bytes", url, have)
    with open_url(url, headers=headers, timeouts=timeouts) as resp:
        start, total = _accept(resp, dest, state, have, max_bytes, expect_zip)
        if start is None:  # 416 for a part that was already complete
            return _finish(dest, url, have, have)
        if start == 0:
            discard_partial(dest)
        new_state = PartState(url=url, etag=resp.header("ETag"), last_modified=resp.header("Last-Modified"),
                              total=total)
        require_free_space(part.parent, (total or 0) - start, "for the download")
        _write_state(dest, new_state)
        with _CancelWatch(cancel, resp):
            _stream(resp, part, start, total, max_bytes, new_state.validator is not None,
                    cancel, _Meter(on_progress, start, total), expect_zip)
    return _finish(dest, url, part.stat().st_size, start)


def _accept(resp: Response, dest: Path, state: PartState | None, have: int, max_bytes: int,
            expect_zip: bool) -> tuple[int | None, int | None]:
    """Decide from the status and headers where the body starts; refuse what cannot be used.
    Returns (offset of the body in the file, total size), or (None, total) for 'already complete'."""
    status = resp.status
    if status == 416 and state is not None:
        match = re.search(r"\*/(\d+)", resp.header("Content-Range") or "")
        if match and int(match.group(1)) == have:
            return None, have
        discard_partial(dest)
        raise NetworkError("The server no longer has the file as it was; start the download again.",
                           detail=f"416 with Content-Range {resp.header('Content-Range')!r}")
    if status in (404, 410):
        discard_partial(dest)
        raise NetworkError(f"The model file is not on the server (HTTP {status}).", detail=resp.url, status=status)
    if status not in (200, 206):
        reason = f" {resp.raw.reason}" if resp.raw.reason else ""
        raise NetworkError(f"The server could not send the file (HTTP {status}{reason}).",
                           detail=resp.url, status=status, resumable=have > 0)
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    if expect_zip and (ctype.startswith("text/") or ctype.endswith(("html", "json", "xml"))):
        raise DownloadRefused(f"The server sent a web page ({ctype}) instead of the model zip; "
                              "the address may be wrong or need a login.", detail=resp.url)
    length = resp.header("Content-Length")
    body_len = int(length) if length and length.isdigit() else None
    if status == 206:
        match = _CONTENT_RANGE.match(resp.header("Content-Range") or "")
        start = int(match.group(1)) if match else -1
        total = int(match.group(3)) if match and match.group(3) != "*" else None
        etag_changed = state is not None and state.etag and resp.header("ETag") not in (None, state.etag)
        if state is None or start != have or (state.total and total != state.total) or etag_changed:
            # Mixing bytes of two versions would give a corrupt zip: start over, once, cleanly.
            log.warning("range answer does not continue the part (start %s, have %d): restarting", start, have)
            discard_partial(dest)
            raise _Restart()
    else:
        if state is not None:
            log.info("server sent the whole file (no range support, or it changed): starting over")
        start, total = 0, body_len
    if total is not None and total > max_bytes:
        discard_partial(dest)
        raise DownloadRefused(f"The server says the file is {size_text(total)}, more than a model needs "
                              f"(limit {size_text(max_bytes)}); not downloading it.", detail=resp.url)
    return start, total


def _stream(resp: Response, part: Path, start: int, total: int | None, max_bytes: int, resumable: bool,
            cancel: CancelToken | None, meter: _Meter, expect_zip: bool) -> None:
    done = start
    try:
        # Unbuffered: what has arrived is on disk at once, so a crash or kill loses nothing to resume.
        with open(part, "ab" if start else "wb", buffering=0) as out:
            if start:
                out.truncate(start)
            while total is None or done < total:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                try:
                    block = resp.read(CHUNK)
                except TimeoutError as exc:
                    raise NetworkError(f"The server stopped sending data at {_pct(done, total)}.",
                                       detail=str(exc), resumable=resumable) from exc
                except OSError as exc:
                    if cancel is not None:
                        cancel.raise_if_cancelled()  # the watch shut the socket: a cancel, not a failure
                    raise NetworkError(f"The connection was lost at {_pct(done, total)}.",
                                       detail=repr(exc), resumable=resumable) from exc
                except Exception as exc:  # http.client.IncompleteRead and friends
                    raise NetworkError(f"The server closed the connection at {_pct(done, total)}.",
                                       detail=repr(exc), resumable=resumable) from exc
                if not block and cancel is not None:
                    cancel.raise_if_cancelled()
                if not block:
                    if total is None:
                        break
                    raise NetworkError(f"The server closed the connection at {_pct(done, total)}.",
                                       detail=f"{done} of {total} bytes", resumable=resumable)
                if expect_zip and done == 0 and not block.startswith(ZIP_MAGIC):
                    raise DownloadRefused("The server sent something that is not a zip file.", detail=repr(block[:64]))
                if done + len(block) > max_bytes:
                    raise DownloadRefused(f"The download grew beyond {size_text(max_bytes)}, more than a model "
                                          "needs; stopped.")
                out.write(block)  # a raw file writes all of it (or raises) for regular files
                done += len(block)
                meter.update(done)
            meter.update(done, force=True)
    except DownloadRefused:
        discard_partial(part.with_name(part.name.removesuffix(".part")))
        raise
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFull(f"The disk is full: the download stopped at {_pct(done, total)}. Free some space "
                           "and try again; it will continue where it stopped.", detail=str(exc)) from exc
        raise KinetoscopeError(f"Could not save the download: {exc.strerror or exc}.", detail=str(exc)) from exc


class _CancelWatch:
    """Shuts the socket down when the token is cancelled, so a cancel takes effect at once even
    while a read is blocked on a stalled server (the read timeout may be tens of seconds)."""

    POLL_S = 0.1

    def __init__(self, cancel: CancelToken | None, resp: Response) -> None:
        self.cancel, self.resp = cancel, resp
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="download-cancel-watch", daemon=True)

    def _watch(self) -> None:
        assert self.cancel is not None
        while not self.done.wait(self.POLL_S):
            if self.cancel.cancelled:
                sock = self.resp.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                return

    def __enter__(self) -> _CancelWatch:
        if self.cancel is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


def _finish(dest: Path, url: str, size: int, resumed_from: int) -> DownloadResult:
    part = part_path(dest)
    digest = sha256_file(part)
    os.replace(part, dest)
    sidecar_path(dest).unlink(missing_ok=True)
    return DownloadResult(path=dest, url=url, size=size, sha256=digest, resumed_from=resumed_from)


def fetch_bytes(url: str, *, max_bytes: int = 1 << 20, timeouts: Timeouts = Timeouts()) -> bytes:
    """A small document (a catalog) in memory. Raises NetworkError, DownloadRefused, UnsafeUrl."""
    with open_url(url, timeouts=timeouts) as resp:
        if resp.status != 200:
            raise NetworkError(f"Could not fetch {url} (HTTP {resp.status}).", status=resp.status)
        data = b""
        try:
            while len(data) <= max_bytes and (block := resp.read(CHUNK)):
                data += block
        except Exception as exc:  # OSError, IncompleteRead
            raise NetworkError(f"The connection was lost while fetching {url}.", detail=repr(exc)) from exc
    if len(data) > max_bytes:
        raise DownloadRefused(f"{url} is larger than expected ({size_text(max_bytes)} limit).")
    return data
