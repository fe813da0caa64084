"""IRC over WebSocket (the IRCv3 WebSocket transport) for the connection core, over websockets' sans-I/O protocol.

Like TLS (tls.py), WebSocket is a layer of bytes in and bytes out, not a
second protocol stack: the socket's bytes (decrypted first on a TLS port)
go through a ``WsSession``, which answers the HTTP handshake and unwraps
each WebSocket message into one IRC line for the same ``ConnectionCore``
every TCP client has; the lines the core and the fanout queue for the client
(one SendQ, counted in IRC bytes) go out one line per message, without
CRLF. The ``websockets`` package's ``ServerProtocol`` does the framing, the
handshake, origin checks, pings and the closing handshake; it reads no
socket, so this works the same in every dispatch mode.

Subprotocols: ``binary.ircv3.net`` (binary messages) and ``text.ircv3.net``
(text messages, UTF-8); the client's first choice wins, and a client that
asks for neither gets text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import Origin, Subprotocol

from .tls import TlsSession, send_some

__all__ = ["BINARY", "TEXT", "WebSocketPolicy", "WsClosed", "WsSession", "parse_origins"]

BINARY = Subprotocol("binary.ircv3.net")
TEXT = Subprotocol("text.ircv3.net")
_SUBPROTOCOLS = (BINARY, TEXT)
# A WebSocket message is one IRC line: past the longest line the core takes (8191 bytes of
# tags, 512 of the rest), the core answers 417 itself; far past it, the socket is closed (1009).
MAX_MESSAGE = 16 << 10
# websockets says "connection open" for every client at INFO: one line a client is too many.
_PROTOCOL_LOG = logging.getLogger("chat-server.websocket")
_PROTOCOL_LOG.setLevel(logging.WARNING)

log = logging.getLogger(__name__)

Send = Callable[[bytes], int]


class WsClosed(Exception):
    """The WebSocket is over (closing handshake, refused handshake, broken framing): close the connection."""


def parse_origins(text: str) -> tuple[str, ...] | None:
    """``--websocket-origins``: a comma-separated allow-list of exact origins; empty or ``*`` allows any."""
    origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    return None if not origins or "*" in origins else origins


@dataclass(frozen=True)
class WebSocketPolicy:
    """What a WebSocket listener's connections get: the origins browsers may connect from (None: any)."""

    origins: tuple[str, ...] | None = None

    def session(self, below: TlsSession | None = None) -> WsSession:
        return WsSession(self.origins, below)


def _client_choice(protocol: ServerProtocol, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    """The client's first choice among ours; none (text) if it offered neither."""
    for subprotocol in offered:
        if subprotocol in _SUBPROTOCOLS:
            return subprotocol
    return None


class WsSession:
    """One connection's WebSocket. Every method may be called from any thread.

    Frames leave in the order they were made, under the session's lock, and
    go to the layer below: the TLS session, or the socket (``send``), with a
    backlog of what the socket did not take yet.
    """

    __slots__ = ("_backlog", "_below", "_early", "_lock", "_message", "_protocol", "binary", "refused")

    def __init__(self, origins: tuple[str, ...] | None, below: TlsSession | None = None) -> None:
        # Non-browser clients send no Origin (and could send any): the allow-list binds browsers.
        allowed: list[Origin | re.Pattern[str] | None] | None = (
            None if origins is None else [*(Origin(o) for o in origins), None])
        self._protocol = ServerProtocol(origins=allowed, subprotocols=list(_SUBPROTOCOLS),
                                        select_subprotocol=_client_choice, max_size=MAX_MESSAGE,
                                        logger=_PROTOCOL_LOG)
        self._below = below
        self._lock = threading.Lock()
        self._backlog = b""  # bytes the socket did not take yet (no TLS below)
        self._message: list[bytes] = []  # fragments of a message still coming
        self._early: list[bytes] = []  # lines queued before the handshake was done
        self.binary = False
        self.refused = ""  # why the handshake failed, if it did

    @property
    def open(self) -> bool:
        return self._protocol.state is State.OPEN

    def receive(self, data: bytes, send: Send) -> bytes:
        """Bytes from the client in (plaintext, below TLS); the IRC lines its messages complete, CRLF-ended.

        Raises:
            WsClosed: the WebSocket is over; what the client should see of that has been sent.
            OSError: from ``send``.
        """
        protocol = self._protocol
        with self._lock:
            protocol.receive_data(data)
            lines: list[bytes] = []
            for event in protocol.events_received():
                if isinstance(event, Request):
                    self._handshake(event)
                elif isinstance(event, Frame):
                    self._frame(event, lines)
            self._write(b"".join(protocol.data_to_send()), send)
            if protocol.state is State.CLOSED or protocol.close_expected():
                broken = protocol.parser_exc
                raise WsClosed(self.refused or (f"WebSocket error: {broken}" if broken else "Connection closed"))
            return b"".join(lines)

    def _handshake(self, request: Request) -> None:
        """Lock held."""
        protocol = self._protocol
        response = protocol.accept(request)
        protocol.send_response(response)
        if protocol.state is not State.OPEN:
            reason = protocol.handshake_exc or response.reason_phrase
            self.refused = f"WebSocket handshake refused: {reason}"
            log.info("%s (%d)", self.refused, response.status_code)
            return
        self.binary = protocol.subprotocol == BINARY
        early, self._early = self._early, []
        for chunk in early:
            self._frames(chunk)

    def _frame(self, frame: Frame, lines: list[bytes]) -> None:
        """Lock held: a data frame's payload is part of an IRC line; control frames websockets answers itself."""
        if frame.opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            return
        if not frame.fin:
            self._message.append(bytes(frame.data))
            return
        if self._message:
            self._message.append(bytes(frame.data))
            payload = b"".join(self._message)
            self._message = []
        else:
            payload = bytes(frame.data)
        # One message, one line: a client that ends it with CRLF anyway still sends one line.
        lines.append(payload.rstrip(b"\r\n") + b"\r\n")

    # -- out -----------------------------------------------------------------

    def write(self, data: bytes, send: Send) -> bool:
        """IRC lines out, one message each; False if some bytes are still waiting for the socket.

        Raises:
            ssl.SSLError, OSError: from the layer below.
        """
        with self._lock:
            if not self.open:
                if self._protocol.state is State.CONNECTING:
                    self._early.append(data)  # e.g. a PING before the handshake is done
                return True  # closed: the goodbye has nowhere to go
            self._frames(data)
            return self._write(b"".join(self._protocol.data_to_send()), send)

    def _frames(self, data: bytes) -> None:
        """Lock held: each CRLF-ended line of ``data`` becomes one message."""
        protocol = self._protocol
        for line in data.split(b"\r\n")[:-1]:
            if self.binary:
                protocol.send_binary(line)
                continue
            try:
                line.decode()
            except UnicodeDecodeError:  # a text message must be UTF-8
                line = line.decode(errors="replace").encode()
            protocol.send_text(line)

    def goodbye(self, send: Send) -> None:
        """The server ends the connection: a closing frame after everything sent so far."""
        with self._lock:
            if self.open:
                self._protocol.send_close(1000)
                self._write(b"".join(self._protocol.data_to_send()), send)

    def _write(self, data: bytes, send: Send) -> bool:
        """Lock held: to the layer below, in order."""
        below = self._below
        if below is not None:
            return below.write(data, send) if data else below.flush(send)
        if self._backlog:
            data = self._backlog + data
        if not data:
            return True
        self._backlog = send_some(data, send)
        return not self._backlog

    def flush(self, send: Send) -> bool:
        """Send what is waiting below (a backlog, TLS records); False if some still waits."""
        with self._lock:
            return self._write(b"", send)

    @property
    def backlogged(self) -> bool:
        below = self._below
        return below.backlogged if below is not None else bool(self._backlog)
