"""Plain HTTP(S) GETs for model downloads, on the standard library only.

`http.client` rather than `urllib.request.urlopen` because downloads need what urlopen hides:
separate connect and read timeouts (a stalled server must not hang a worker for minutes), every
redirect hop checked against the scheme policy, and the raw status (206 vs 200) for resuming.
The system proxy is honoured through `urllib.request.getproxies()` and `proxy_bypass()`.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from kinetoscope.engine.errors import BadInput, KinetoscopeError

MAX_REDIRECTS = 5
USER_AGENT = "Kinetoscope-model-manager"


class NetworkError(KinetoscopeError):
    """The server could not be reached, failed, or stopped sending.

    `resumable` says whether the bytes received so far were kept and a retry continues from them.
    """

    def __init__(self, message: str, *, detail: str = "", resumable: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message, detail=detail)
        self.resumable = resumable
        self.status = status


class UnsafeUrl(BadInput):
    """A URL the app refuses to fetch (plain http:// to anything but this machine)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection, and for the next bytes once connected (a stall)."""

    connect: float = 15.0
    read: float = 30.0


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http:// may reach."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse anything but https://, except http:// to this machine (tests, local mirrors)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return
    if scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return
    if scheme == "http":
        raise UnsafeUrl(f"Refusing to download over plain http:// from {parts.hostname}; "
                        "only https:// is allowed.", detail=url)
    raise UnsafeUrl(f"Cannot download from {url!r}: only https:// addresses are supported.")


@dataclass
class Response:
    """An open response; close it (or use `with`) to release the connection."""

    url: str
    status: int
    headers: http.client.HTTPMessage
    raw: http.client.HTTPResponse
    conn: http.client.HTTPConnection = field(repr=False)
    # Kept apart from `conn`: http.client drops conn.sock when the server says "Connection: close",
    # but a cancel still needs the socket to shut down a blocked read.
    sock: socket.socket | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def read(self, size: int) -> bytes:
        """Up to `size` bytes, as soon as any arrive (b"" at the end): with a plain read(), bytes
        received before a stall would sit in a buffer and be lost with the timeout."""
        return self.raw.read1(size)

    def close(self) -> None:
        self.raw.close()
        self.conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _proxy_for(scheme: str, host: str) -> str | None:
    if is_loopback_host(host):
        return None  # a proxy cannot reach this machine's loopback anyway
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _auth_header(proxy: str) -> dict[str, str]:
    parts = urlsplit(proxy)
    if parts.username is None:
        return {}
    token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(token).decode("ascii")}


def _connect(url: str, timeouts: Timeouts) -> tuple[http.client.HTTPConnection, str]:
    """Open a connection for `url`, through the system proxy if one applies; return it and the
    request target (an absolute URL when talking to a plain http proxy)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    proxy = _proxy_for(parts.scheme, host)
    conn: http.client.HTTPConnection
    if proxy is None:
        conn = (http.client.HTTPSConnection(host, port, timeout=timeouts.connect, context=ssl.create_default_context())
                if https else http.client.HTTPConnection(host, port, timeout=timeouts.connect))
    else:
        p = urlsplit(proxy)
        p_port = p.port or (443 if p.scheme == "https" else 8080)
        if https:
            conn = http.client.HTTPSConnection(p.hostname or "", p_port, timeout=timeouts.connect,
                                               context=ssl.create_default_context())
            conn.set_tunnel(host, port, headers=_auth_header(proxy))
        else:
            conn = http.client.HTTPConnection(p.hostname or "", p_port, timeout=timeouts.connect)
            target = url
    try:
        conn.connect()
    except socket.gaierror as exc:
        raise NetworkError(f"Could not find the server {host}. Is this computer online?", detail=str(exc)) from exc
    except ConnectionRefusedError as exc:
        raise NetworkError(f"The server {host} refused the connection.", detail=str(exc)) from exc
    except TimeoutError as exc:
        raise NetworkError(f"Could not connect to {host} within {timeouts.connect:g} s.", detail=str(exc)) from exc
    except ssl.SSLError as exc:
        raise NetworkError(f"The secure connection to {host} failed.", detail=str(exc)) from exc
    except OSError as exc:
        raise NetworkError(f"Could not connect to {host}: {exc.strerror or exc}.", detail=str(exc)) from exc
    if conn.sock is not None:
        conn.sock.settimeout(timeouts.read)  # from now on the timeout means "no bytes for this long"
    return conn, target


def open_url(url: str, *, headers: dict[str, str] | None = None, timeouts: Timeouts = Timeouts(),
             max_redirects: int = MAX_REDIRECTS) -> Response:
    """GET `url`, following redirects (each hop checked by `check_url`). Any status is returned;
    the caller decides what 404 or 206 means. Raises NetworkError, UnsafeUrl."""
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
    for _ in range(max_redirects + 1):
        check_url(url)
        conn, target = _connect(url, timeouts)
        try:
            conn.putrequest("GET", target, skip_accept_encoding=True)
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders()
            sock = conn.sock
            raw = conn.getresponse()
        except TimeoutError as exc:
            conn.close()
            raise NetworkError(f"The server {urlsplit(url).hostname} did not answer within {timeouts.read:g} s.",
                               detail=str(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise NetworkError(f"The server {urlsplit(url).hostname} closed the connection before answering.",
                               detail=repr(exc)) from exc
        if raw.status in (301, 302, 303, 307, 308) and raw.getheader("Location"):
            location = urljoin(url, raw.getheader("Location") or "")
            raw.close()
            conn.close()
            url = location
            continue
        return Response(url=url, status=raw.status, headers=raw.headers, raw=raw, conn=conn, sock=sock)
    raise NetworkError(f"Too many redirects while downloading (more than {max_redirects}).", detail=url)
