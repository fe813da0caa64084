"""Admission control: too many clients in all, from one address at once, or too fast, are refused with a reason.

The tests connect from 127.0.1.x: loopback, so nothing leaves the machine, but
not 127.0.0.1, which is exempt from the per-address limits by default.
"""

from __future__ import annotations

import socket

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server


def refused_with(address: tuple[str, int], source: str = "127.0.0.1") -> str:
    with socket.create_connection(address, timeout=5, source_address=(source, 0)) as sock:
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data.decode()


def test_server_full_and_per_address_limits(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--max-per-ip", "2", "--workers", "2") as srv:
        first = LineClient(srv.address, "one", source="127.0.1.2")
        second = LineClient(srv.address, "two", source="127.0.1.2")
        assert refused_with(srv.address, "127.0.1.2") == "ERROR :Too many connections from 127.0.1.2\r\n"
        with LineClient(srv.address, "other", source="127.0.1.3"):  # another address has its own count
            pass
        for n in range(3):  # 127.0.0.1 is exempt by default (the local load tester, the tests)
            LineClient(srv.address, f"local{n}").close()
        second.send("QUIT")
        second.expect("^ERROR")
        second.close()
        with LineClient(srv.address, "three", source="127.0.1.2"):  # a place came free
            pass
        first.close()
        assert "refused a connection from 127.0.1.2: Too many connections" in srv.log_text()
    with chat_server(mode, *NO_FLOOD_CONTROL, "--max-clients", "1", "--workers", "1") as srv, \
            LineClient(srv.address, "only"):
        assert refused_with(srv.address) == "ERROR :Server full\r\n"


def test_new_connections_per_window_are_throttled(mode: str) -> None:
    """Three connections per window from one address; the fourth is refused before any registration."""
    with chat_server(mode, *NO_FLOOD_CONTROL, "--throttle", "3/600", "--workers", "2") as srv:
        for n in range(3):
            LineClient(srv.address, f"t{n}", source="127.0.1.4").close()
        assert refused_with(srv.address, "127.0.1.4") == "ERROR :Connection throttled, try again later\r\n"
        with LineClient(srv.address, "elsewhere", source="127.0.1.5"):
            pass
    with chat_server(mode, *NO_FLOOD_CONTROL, "--throttle", "3/600", "--throttle-exempt", "127.0.1.0/24") as srv:
        for n in range(5):  # every one registers: an exempt network is never counted
            LineClient(srv.address, f"x{n}", source="127.0.1.4").close()
