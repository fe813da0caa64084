"""A line written in two pieces (the line, then CRLF) without TCP_NODELAY is not held up by a delayed ACK."""

from __future__ import annotations

import socket
import statistics
import time

from tests.support.client import LineClient
from tests.support.servers import RunningServer


def test_a_line_written_in_two_pieces_is_answered_without_waiting_for_a_delayed_ack(server: RunningServer) -> None:
    with LineClient(server.address, "pieces") as client:
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)  # as irctest's client, and many others
        took = []
        for i in range(12):
            started = time.perf_counter()
            client.sock.sendall(f"PING :piece{i}".encode())
            client.sock.sendall(b"\r\n")  # Nagle holds this until the first piece is acknowledged
            client.expect(f"PONG .*piece{i}$")
            took.append(time.perf_counter() - started)
        # The kernel delays an ACK by 40 ms or more; acknowledged at once, a round trip is well under 1 ms.
        assert statistics.median(took) < 0.02, took
