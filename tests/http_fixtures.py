"""A real HTTP server on 127.0.0.1 for download tests, with faults to inject on demand.

It serves bytes by path with ETag/Last-Modified, honours Range and If-Range like S3 does, records
every request's headers, and can misbehave per path: drop the connection or stall after N bytes,
answer with an error status, lie about the content type or length, ignore Range, redirect.
Nothing outside this machine is ever contacted.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from model_factory import tiny_classifier, write_bundle_folder, zip_folder

LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"
CHUNK = 16 * 1024


@dataclass
class Fault:
    """Misbehaviour for the next `times` requests of a path (-1: every request)."""

    times: int = 1
    status: int | None = None
    drop_after: int | None = None      # close the socket after this many body bytes
    stall_after: int | None = None     # stop sending (but keep the socket open) after this many
    content_type: str | None = None
    content_length: int | None = None  # the declared length, whatever the body is
    no_range: bool = False             # ignore Range: always 200 with the whole file


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]


@dataclass
class LoopbackServer:
    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends stalls at teardown
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return self.url(path)

    def fault(self, path: str, **kwargs: object) -> None:
        self.faults[path] = Fault(**kwargs)  # type: ignore[arg-type]

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get(path)
            if fault is None or fault.times == 0:
                return None
            if fault.times > 0:
                fault.times -= 1
            return fault


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?")[0]
            server.requests.append(RecordedRequest(path, {k: v for k, v in self.headers.items()}))
            if path in server.redirects:
                self._simple(302, b"", extra={"Location": server.redirects[path]})
                return
            fault = server._take_fault(path)
            data = server.files.get(path)
            if fault and fault.status:
                self._simple(fault.status, b"<html><body>error</body></html>", ctype="text/html")
                return
            if data is None:
                self._simple(404, b"<html><body>Not Found</body></html>", ctype="text/html")
                return
            etag = _etag(data)
            start, status = 0, 200
            wanted = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if wanted and not (fault and fault.no_range) and if_range in (None, etag, LAST_MODIFIED):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self._simple(416, b"", extra={"Content-Range": f"bytes */{len(data)}"})
                    return
                status = 206
            body = data[start:]
            self.send_response(status)
            self.send_header("Content-Type", (fault.content_type if fault and fault.content_type else "application/zip"))
            length = fault.content_length if fault and fault.content_length is not None else len(body)
            self.send_header("Content-Length", str(length))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            if not (fault and fault.no_range):
                self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            self._body(body, fault)

        def _body(self, body: bytes, fault: Fault | None) -> None:
            sent = 0
            cut = fault.drop_after if fault and fault.drop_after is not None else None
            stall = fault.stall_after if fault and fault.stall_after is not None else None
            try:
                while sent < len(body):
                    limit = min(x for x in (cut, stall, len(body)) if x is not None)
                    if sent >= limit:
                        break
                    piece = body[sent:min(sent + CHUNK, limit)]
                    self.wfile.write(piece)
                    sent += len(piece)
                self.wfile.flush()
                if stall is not None and sent >= stall:
                    server.release.wait(10)  # the client's read timeout fires first
                if cut is not None or stall is not None:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
            except OSError:
                self.close_connection = True

        def _simple(self, status: int, body: bytes, *, ctype: str = "text/plain",
                    extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up mid-body on purpose in these tests (refusals, cancels); that is no error.
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    state = LoopbackServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def release_zip(tmp: Path, model_id: str, precision: str, *, external_data: bool | None = None,
                classes: int = 9, seed: int = 0, weight_elems: int = 0) -> Path:
    """A release zip in AI Hub's layout: float keeps its weights in `{id}_onnx/`, w8a8 is one file
    with quantized I/O."""
    quantized = precision != "float"
    external = (not quantized) if external_data is None else external_data
    model = tiny_classifier(classes, seed=seed, quantized_io=quantized, weight_elems=weight_elems)
    folder = write_bundle_folder(tmp / f"src-{model_id}-{precision}-{seed}", model, model_id=model_id,
                                 precision=precision, external_data=external)
    return zip_folder(folder, tmp / f"{model_id}-onnx-{precision}-{seed}.zip")


def zip_url_path(model_id: str, precision: str, release: str = "v0.47.0") -> str:
    return f"/{model_id}/{release}/{model_id}-onnx-{precision}.zip"


def write_catalog(path: Path, server: LoopbackServer, models: dict[str, tuple[str, ...]],
                  release: str = "v0.47.0") -> Path:
    """A catalog in the bundled format whose URL template points at the loopback server."""
    data = {
        "format": 1, "release": release,
        "url_template": server.url("/{id}/{release}/{id}-onnx-{precision}.zip"),
        "models": [{"id": mid, "name": mid.replace("_", " ").title(),
                    "precisions": {p: {"npu_latency_ms": [4.5, 4.5]} for p in precs}}
                   for mid, precs in models.items()],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
