"""A tiny blocking IRC client for tests: send lines, expect lines matching a pattern."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time

from server.protocol import LineBuffer, Message, parse_line


class LineClient:
    def __init__(self, address: tuple[str, int], nick: str | None = None, timeout: float = 5.0,
                 source: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        """``source``: the local address to connect from (e.g. 127.0.1.5, which is not exempt from throttling);
        ``tls``: speak TLS with this client context (the server's name is checked as "localhost")."""
        self.sock = socket.create_connection(address, timeout=timeout,
                                             source_address=(source, 0) if source else None)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.timeout = timeout
        self.buffer = LineBuffer()
        self.seen: list[str] = []
        self.nick = nick
        if nick:
            self.register(nick)

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        if not data.endswith(b"\n"):
            data += b"\r\n"
        self.sock.sendall(data)

    def register(self, nick: str) -> list[Message]:
        self.nick = nick
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} tester")
        return self.expect_until(r" 376 | 422 ")

    def register_after_cap(self, nick: str) -> list[Message]:
        """Finish a registration that began with CAP negotiation."""
        self.nick = nick
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} tester")
        self.send("CAP END")
        return self.expect_until(r" 376 | 422 ")

    def _read_line(self, deadline: float) -> str | None:
        while True:
            line = self.buffer.next_line()
            if line is not None:
                text = line.decode("utf-8", "replace")
                self.seen.append(text)
                return text
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not data:
                raise ConnectionError("server closed the connection; saw:\n" + "\n".join(self.seen[-20:]))
            self.buffer.feed(data)

    def expect(self, pattern: str, timeout: float | None = None) -> Message:
        """Read lines until one matches ``pattern`` (a regex searched in the raw line)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise AssertionError(f"no line matching {pattern!r}; last lines:\n" + "\n".join(self.seen[-15:]))
            if line.startswith("PING "):
                self.send("PONG " + line[5:])
            if regex.search(line):
                return parse_line(line.encode())

    def expect_until(self, pattern: str, timeout: float | None = None) -> list[Message]:
        """All messages up to and including the first matching ``pattern``."""
        start = len(self.seen)
        self.expect(pattern, timeout)
        return [parse_line(line.encode()) for line in self.seen[start:]]

    def lines_for(self, seconds: float) -> list[str]:
        """Everything that arrives within ``seconds`` (for checking that nothing else came)."""
        start = len(self.seen)
        deadline = time.monotonic() + seconds
        try:
            while self._read_line(deadline) is not None:
                pass
        except ConnectionError:
            pass
        return self.seen[start:]

    def drain_in_background(self) -> threading.Thread:
        """Read and discard everything until the socket closes, as a live client would."""

        def drain() -> None:
            self.sock.settimeout(None)
            with contextlib.suppress(OSError):
                while self.sock.recv(65536):
                    pass

        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> LineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
