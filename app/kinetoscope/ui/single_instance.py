"""One window per user and data folder: a second launch hands its clips to the first and exits.

Two processes must not fight over the NPU, and people expect "open with" to reuse the open window.
The rendezvous is a local socket (a named pipe on Windows) named after the user and the data
folder, so tests with their own KINETOSCOPE_HOME never meet each other or a real session.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from kinetoscope.engine import paths

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500
MAX_MESSAGE_BYTES = 1_000_000


def server_name() -> str:
    """The socket name for this user and data folder."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "user"
    folder = str(paths.data_dir().expanduser().resolve())
    digest = hashlib.sha1(f"{user}\0{folder}".encode()).hexdigest()[:16]
    return f"kinetoscope-{digest}"


def hand_off(clips: Sequence[str | Path], name: str | None = None) -> bool:
    """Send `clips` to a running instance. True when one took them (this process should exit)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    message = json.dumps({"open": [str(Path(c).expanduser().absolute()) for c in clips]}) + "\n"
    socket.write(message.encode("utf-8"))
    delivered = socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    # The reply tells us the other side read it, so we do not exit before it has our clips.
    acknowledged = delivered and socket.waitForReadyRead(2000) and bytes(socket.readAll()).startswith(b"ok")
    socket.disconnectFromServer()
    log.info("handed %d clip(s) to the running instance (acknowledged: %s)", len(clips), acknowledged)
    return delivered


class InstanceServer(QObject):
    """Listens for later launches; `clips_received` carries the files they were asked to open."""

    clips_received = Signal(list)
    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        """Start listening; clears a socket left behind by a crashed instance."""
        if self._server.listen(self.name):
            return True
        if self._server.serverError() == QLocalServer.SocketError.AddressInUseError:
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                return True
        log.warning("single instance: cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer.extend(bytes(socket.readAll()))
        if len(buffer) > MAX_MESSAGE_BYTES:
            socket.abort()
            return
        if b"\n" not in buffer:
            return
        line = bytes(buffer).split(b"\n", 1)[0]
        buffer.clear()
        try:
            clips = json.loads(line.decode("utf-8")).get("open", [])
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            log.warning("single instance: ignoring a malformed message (%s)", exc)
            return
        socket.write(b"ok\n")
        socket.flush()
        self.activation_requested.emit()
        paths_ = [c for c in clips if isinstance(c, str)]
        if paths_:
            self.clips_received.emit(paths_)

    def _forget(self, socket: QLocalSocket) -> None:
        # Only our bookkeeping: the socket is the server's child and goes with it. Deleting it
        # here as well (deleteLater) double-frees once Python drops its wrapper.
        self._buffers.pop(socket, None)
