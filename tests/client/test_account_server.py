"""chat-client against our own chat-server's accounts: /register, then --account logs in with SASL.

It asks the real server what it offers (CAP LS 302) and skips, saying why, while the server has no
sasl or no draft/account-registration to make an account with; it runs as soon as the server has
both, with no change here.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.client.conftest import HOST, running_app, wait_until
from tests.support.servers import RunningServer

pytestmark = pytest.mark.timeout(60)


def offered_caps(port: int) -> dict[str, str]:
    """The caps chat-server lists in CAP LS 302, with their values."""
    caps: dict[str, str] = {}
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"CAP LS 302\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            lines = data.split(b"\r\n")
            for raw in lines[:-1]:
                words = raw.decode(errors="replace").split(" ")
                if len(words) > 3 and words[1] == "CAP" and words[3] == "LS":
                    more = len(words) > 4 and words[4] == "*"
                    listed = " ".join(words[5 if more else 4:]).lstrip(":")
                    for item in listed.split():
                        name, _, value = item.partition("=")
                        caps[name] = value
                    if not more:
                        return caps
                elif len(words) > 1 and words[1] in ("421", "451"):
                    return caps
            data = lines[-1]
    return caps


def test_register_then_log_in_with_sasl_on_our_server(chat_srv: RunningServer) -> None:
    caps = offered_caps(chat_srv.port)
    if "sasl" not in caps:
        pytest.skip("chat-server does not offer SASL yet (CAP LS has no 'sasl'); this test runs once accounts "
                    "land")
    if "draft/account-registration" not in caps:
        pytest.skip("chat-server offers SASL but not draft/account-registration, so the test cannot make an "
                    "account")
    email = " reg@example.org" if "email-required" in caps["draft/account-registration"] else ""

    async def scenario() -> None:
        async with running_app(chat_srv.port, "regnick", channels=(), allow_plaintext_password=True) as run:
            await wait_until(lambda: run.chat.state.status == "connected", what="registration")
            run.type(f"/register hunter2-long-pw{email}\r")
            await wait_until(lambda: any("Account regnick registered" in line.text or "Logged in" in line.text
                                         for line in run.chat.state.server_window.lines),
                             timeout=10, what="REGISTER SUCCESS")
        async with running_app(chat_srv.port, "someone", channels=(), account="regnick",
                               account_password="hunter2-long-pw", allow_plaintext_password=True) as run:
            await wait_until(lambda: run.chat.state.account is not None, timeout=10, what="900 logged in")
            assert run.chat.state.account.lower() == "regnick"
            assert any("succeeded" in line.text for line in run.chat.state.server_window.lines)

    asyncio.run(scenario())
