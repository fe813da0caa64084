"""Many raw connections driven by one selector: for tests with hundreds of clients."""

from __future__ import annotations

import selectors
import socket
import time


class Crowd:
    """N clients that register and join a channel, then wait for a line that every one must get."""

    def __init__(self, address: tuple[str, int], count: int, prefix: str = "c") -> None:
        self.selector = selectors.DefaultSelector()
        self.buffers: dict[int, bytearray] = {}
        self.socks: list[socket.socket] = []
        for i in range(count):
            sock = socket.create_connection(address)
            sock.setblocking(False)
            sock.sendall(f"NICK {prefix}{i}\r\nUSER {prefix}{i} 0 * :crowd\r\n".encode())
            self.selector.register(sock, selectors.EVENT_READ, i)
            self.buffers[i] = bytearray()
            self.socks.append(sock)

    def send_all(self, line: str) -> None:
        for sock in self.socks:
            sock.setblocking(True)
            sock.sendall(line.encode() + b"\r\n")
            sock.setblocking(False)

    def wait_all(self, needle: bytes, timeout: float) -> set[int]:
        """Read until every client has received ``needle``; returns those still missing it."""
        missing = {i for i, buf in self.buffers.items() if needle not in buf}
        deadline = time.monotonic() + timeout
        while missing and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.2):
                i = key.data
                try:
                    data = key.fileobj.recv(1 << 20)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                if not data:
                    self.selector.unregister(key.fileobj)
                    continue
                buf = self.buffers[i]
                buf += data
                if needle in buf:
                    missing.discard(i)
                    # keep only the tail: older lines are never searched again
                    del buf[: max(0, len(buf) - len(needle))]
                elif len(buf) > 1 << 16:
                    del buf[: len(buf) - len(needle)]
        return missing

    def close(self) -> None:
        for sock in self.socks:
            sock.close()
        self.selector.close()
