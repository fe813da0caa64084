"""Liveness and shutdown: PING timeouts, registration timeouts, SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server


@pytest.mark.timeout(30)
def test_quiet_client_is_pinged_and_dropped_if_it_does_not_answer(mode: str) -> None:
    args = ("--ping-interval", "1", "--ping-timeout", "1")
    with chat_server(mode, *NO_FLOOD_CONTROL, *args) as srv, LineClient(srv.address, "answers") as good, \
            LineClient(srv.address, "silent") as bad:
        good.send("JOIN #p")
        bad.send("JOIN #p")
        bad.expect(" 366 ")
        bad.expect("^PING chat.local", timeout=5)  # expect() answers PINGs: read raw instead from now on
        data = b""
        deadline = time.monotonic() + 8
        while b"ERROR" not in data and time.monotonic() < deadline:
            good.send("PING keepalive")  # any input counts as an answer
            bad.sock.settimeout(0.3)
            try:
                chunk = bad.sock.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                break
            data += chunk
        assert b"ERROR :Ping timeout" in data
        good.expect(r":silent!\S+ QUIT :Ping timeout", timeout=5)
        good.send("PING alive")
        good.expect("PONG chat.local alive")


@pytest.mark.timeout(30)
def test_unregistered_connection_is_closed_after_the_registration_timeout(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--registration-timeout", "1") as srv, LineClient(srv.address) as idle:
        idle.send("NICK lazy")
        idle.expect("^ERROR :Registration timed out", timeout=5)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_says_goodbye_to_everyone_and_exits_zero(mode: str, signum: signal.Signals) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL) as srv:
        clients = [LineClient(srv.address, f"u{i}") for i in range(3)]
        started = time.monotonic()
        srv.proc.send_signal(signum)
        for client in clients:
            client.expect("^ERROR :Server shutting down", timeout=10)
        assert srv.proc.wait(10) == 0
        assert time.monotonic() - started < 8
