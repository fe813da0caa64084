"""Admission control: too many clients in all, or from one address, are refused with a reason."""

from __future__ import annotations

import socket

from tests.support.client import LineClient
from tests.support.servers import chat_server


def refused_with(address: tuple[str, int]) -> str:
    with socket.create_connection(address, timeout=5) as sock:
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data.decode()


def test_server_full_and_per_address_limits(mode: str) -> None:
    with chat_server(mode, "--max-per-ip", "2", "--workers", "1") as srv:
        first, second = LineClient(srv.address, "one"), LineClient(srv.address, "two")
        assert refused_with(srv.address) == "ERROR :Too many connections from 127.0.0.1\r\n"
        second.send("QUIT")
        second.expect("^ERROR")
        second.close()
        with LineClient(srv.address, "three"):  # a place came free
            pass
        first.close()
    with chat_server(mode, "--max-clients", "1", "--workers", "1") as srv, LineClient(srv.address, "only"):
        assert refused_with(srv.address) == "ERROR :Server full\r\n"
