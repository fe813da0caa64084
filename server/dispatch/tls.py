"""TLS for the connection core: a server context from PEM files, and sessions over memory BIOs.

The socket never becomes an ``ssl.SSLSocket``. Ciphertext is read and written
by the same code as plaintext, and a ``TlsSession`` turns it into plaintext
and back (the sans-I/O way, as ``ssl.SSLObject`` allows). So TLS works the
same in every dispatch mode, a handshake is just input like any other (one
that stalls holds no thread), and epoll watches the real socket.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable

__all__ = ["TlsClosed", "TlsContext", "TlsSession", "load_server_context", "send_some"]


def send_some(data: bytes, send: Callable[[bytes], int]) -> bytes:
    """Send what the socket takes now; the rest, to send when it is writable again."""
    try:
        sent = send(data)
    except BlockingIOError:
        sent = 0
    return data[sent:]


class TlsClosed(Exception):
    """The peer ended the TLS session (close_notify)."""


def load_server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context with the library's secure defaults and TLS 1.2 at least.

    Raises:
        OSError, ssl.SSLError: the files are missing, unreadable or do not match.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


class TlsContext:
    """The context new TLS connections get. REHASH swaps in a renewed certificate by replacing
    ``context``; connections already open keep the one they started with."""

    def __init__(self, cert_file: str, key_file: str) -> None:
        self.cert_file = cert_file
        self.key_file = key_file
        self.context = load_server_context(cert_file, key_file)

    def session(self) -> TlsSession:
        return TlsSession(self.context)


class TlsSession:
    """One connection's TLS state. Every method may be called from any thread.

    Ciphertext goes out through a ``send`` callable (a non-blocking socket
    send) under the session's lock, so records leave in order even when the
    reader (handshake) and a writer (replies, fan-out) produce them at once.
    """

    __slots__ = ("_backlog", "_incoming", "_lock", "_object", "_outgoing", "established")

    def __init__(self, context: ssl.SSLContext) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._object = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._lock = threading.Lock()
        self._backlog = b""  # ciphertext the socket did not take yet
        self.established = False

    def receive(self, data: bytes) -> bytes:
        """Ciphertext from the peer in; the plaintext it completes out (maybe none yet).

        Raises:
            ssl.SSLError: the peer does not speak TLS, or broke the protocol.
            TlsClosed: the peer closed the session.
        """
        with self._lock:
            self._incoming.write(data)
            if not self.established:
                try:
                    self._object.do_handshake()
                except ssl.SSLWantReadError:
                    return b""
                self.established = True
            chunks = []
            while True:
                try:
                    chunk = self._object.read(65536)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    raise TlsClosed from None
                if not chunk:
                    raise TlsClosed
                chunks.append(chunk)
            return b"".join(chunks)

    def write(self, data: bytes, send: Callable[[bytes], int]) -> bool:
        """Encrypt plaintext and send it; False if some ciphertext is still waiting for ``send``.

        Raises:
            ssl.SSLError: before the handshake is done, or once the session broke.
            OSError: from ``send``.
        """
        with self._lock:
            self._object.write(data)
            return self._send(send)

    def flush(self, send: Callable[[bytes], int]) -> bool:
        """Send what is waiting (handshake messages, alerts, a backlog); False if some still waits."""
        with self._lock:
            return self._send(send)

    def _send(self, send: Callable[[bytes], int]) -> bool:
        """Lock held: ciphertext leaves in the order it was made, whichever thread made it."""
        data = self._backlog + self._outgoing.read() if self._backlog else self._outgoing.read()
        if not data:
            return True
        self._backlog = send_some(data, send)
        return not self._backlog

    @property
    def backlogged(self) -> bool:
        """Ciphertext is waiting for the socket: plaintext had better wait in the SendQ."""
        return bool(self._backlog)

    @property
    def version(self) -> str:
        return self._object.version() or ""
