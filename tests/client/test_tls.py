"""TLS: a TLS front made in the test (trustme certificates generated at run time) before a real chat-server."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from client.config import ConfigError, parse_url
from client.ui.layout import status_bar
from tests.client.conftest import HOST, Peer, running_app, wait_until
from tests.support.servers import RunningServer

pytestmark = pytest.mark.timeout(60)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def tls_front(ca: trustme.CA, backend_port: int) -> AsyncIterator[int]:
    """A TLS listener on a free port that relays each connection to the plain chat-server."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        back_reader, back_writer = await asyncio.open_connection(HOST, backend_port)
        await asyncio.gather(_pipe(reader, back_writer), _pipe(back_reader, writer), return_exceptions=True)

    server = await asyncio.start_server(handle, HOST, 0, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


def joined(chat: object, channel: str) -> bool:
    window = chat.state.find(channel)  # type: ignore[attr-defined]
    return window is not None and window.joined


def test_tls_with_the_test_ca_verifies_and_chats(chat_srv: RunningServer, tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#lobby")
        async with tls_front(ca, chat_srv.port) as port, \
                running_app(port, "alice", tls=True, tls_ca=ca_file) as run:
            await wait_until(lambda: joined(run.chat, "#lobby"), what="alice in #lobby over TLS")
            run.type("hello over tls\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG")
            assert got.params == ("#lobby", "hello over tls")
            status = "".join(text for _, text, *_ in status_bar(run.chat))
            assert " tls " in status and "NOT checked" not in status
        await peer.close()

    asyncio.run(scenario())


def test_tls_refuses_an_unknown_certificate_unless_insecure(chat_srv: RunningServer) -> None:
    ca = trustme.CA()  # not in the system store

    async def scenario() -> None:
        async with tls_front(ca, chat_srv.port) as port:
            async with running_app(port, "alice", tls=True) as run:
                server = run.chat.state.server_window
                await wait_until(lambda: any("CERTIFICATE_VERIFY_FAILED" in line.text for line in server.lines),
                                 what="a certificate error")
                assert not joined(run.chat, "#lobby")
            async with running_app(port, "carol", tls=True, tls_insecure=True) as run:
                await wait_until(lambda: joined(run.chat, "#lobby"), what="joined without checking")
                status = "".join(text for _, text, *_ in status_bar(run.chat))
                assert "tls (certificate NOT checked)" in status

    asyncio.run(scenario())


def test_irc_urls() -> None:
    assert parse_url("ircs://irc.example.org/#chat,dev") == {
        "host": "irc.example.org", "port": 6697, "tls": True, "channels": ["#chat", "#dev"],
    }
    assert parse_url("irc://127.0.0.1:8080") == {"host": "127.0.0.1", "port": 8080, "tls": False}
    assert parse_url("ircs://[::1]:7000/%23lobby")["channels"] == ["#lobby"]
    with pytest.raises(ConfigError):
        parse_url("http://example.org/")

