"""QUIT over real sockets, in every dispatch mode: the channels hear it at once, and the quitter reads its
ERROR and then EOF, never a reset, even with input of its own still unread by the server."""

from __future__ import annotations

import socket
import time

from tests.support.client import LineClient
from tests.support.servers import RunningServer


def read_to_eof(sock: socket.socket, timeout: float) -> bytes:
    """Everything until the server closes; a reset fails the test (it can destroy what came before it)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_quit_reaches_the_channel_at_once_and_the_quitter_gets_error_then_eof(server: RunningServer) -> None:
    with LineClient(server.address, "stayer") as stayer:
        stayer.send("JOIN #q")
        stayer.expect(" 366 ")
        for i in range(10):
            with LineClient(server.address, f"leaver{i}") as leaver:
                leaver.send("JOIN #q")
                leaver.expect(" 366 ")
                stayer.expect(f":leaver{i}!\\S+ JOIN #q")
                started = time.monotonic()
                # More input behind the QUIT, in the same packet and after it: the server never reads it.
                leaver.send(f"QUIT :gone {i}\r\nPING :unread\r\n")
                leaver.sock.sendall(b"PING :later\r\n")
                quit_line = stayer.expect(f":leaver{i}!\\S+ QUIT :Quit: gone {i}", timeout=2.0)
                assert quit_line.command == "QUIT"
                assert time.monotonic() - started < 1.0
                rest = read_to_eof(leaver.sock, 5.0)
                assert rest.endswith(f"ERROR :Quit: gone {i}\r\n".encode()), rest
