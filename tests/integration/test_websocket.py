"""IRC over WebSocket beside TCP, in every dispatch mode: chatting across the two, the subprotocols, origins,
wss://, and the limits TCP clients have (flood control, the SendQ)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol
from websockets.uri import parse_uri

from tests.integration.test_tls import client_context, write_cert
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for


@pytest.fixture
def ws_server(mode: str) -> Iterator[RunningServer]:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2", "--websocket-port", "0") as srv:
        assert srv.ws_port
        yield srv


def url(server: RunningServer, scheme: str = "ws") -> str:
    return f"{scheme}://{server.host}:{server.ws_port}"


def expect(ws: ClientConnection, pattern: str, timeout: float = 5.0) -> str | bytes:
    """Messages until one matches ``pattern``: each must be exactly one IRC line, with no CRLF."""
    deadline = time.monotonic() + timeout
    while True:
        message = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        text = message.decode() if isinstance(message, bytes) else message
        assert "\r" not in text and "\n" not in text, message
        if re.search(pattern, text):
            return message


def register(ws: ClientConnection, nick: str) -> None:
    ws.send(f"NICK {nick}")
    ws.send(f"USER {nick} 0 * :{nick} on the web")
    expect(ws, r" (376|422) ")


BINARY, TEXT = Subprotocol("binary.ircv3.net"), Subprotocol("text.ircv3.net")


@pytest.mark.parametrize("offered, negotiated, binary", [
    ([BINARY], BINARY, True),
    ([TEXT], TEXT, False),
    ([TEXT, BINARY], TEXT, False),  # the client's first choice
    (None, None, False),  # none asked for: text
])
def test_websocket_and_tcp_users_chat(ws_server: RunningServer, offered: list[Subprotocol] | None,
                                      negotiated: str | None, binary: bool) -> None:
    with connect(url(ws_server), subprotocols=offered) as web, LineClient(ws_server.address, "tcp") as tcp:
        assert web.subprotocol == negotiated
        register(web, "web")
        web.send("JOIN #mixed")
        expect(web, " 366 web #mixed ")
        tcp.send("JOIN #mixed")
        tcp.expect(" 366 tcp ")
        expect(web, r":tcp!\S+ JOIN #mixed")
        web.send("PRIVMSG #mixed :hello from a browser, ünïcode too")
        got = tcp.expect("PRIVMSG #mixed")
        assert got.source is not None and got.source.startswith("web!")
        assert got.params == ("#mixed", "hello from a browser, ünïcode too")
        tcp.send("PRIVMSG #mixed :hello back")
        message = expect(web, "PRIVMSG #mixed :hello back")
        assert isinstance(message, bytes) == binary
        tcp.send("PRIVMSG web :in private")
        expect(web, r"^:tcp!\S+ PRIVMSG web :in private$")

        web.send("QUIT :closing the tab")
        expect(web, "^ERROR :Quit: closing the tab$")
        with pytest.raises(ConnectionClosed) as closed:
            web.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
        tcp.expect(r":web!\S+ QUIT :Quit: closing the tab")


def test_websocket_lines_with_crlf_and_in_fragments_are_one_line_each(ws_server: RunningServer) -> None:
    with connect(url(ws_server), subprotocols=[BINARY]) as web:
        register(web, "frag")
        web.send(b"PING :with crlf\r\n")
        expect(web, "PONG .* :?with crlf$")
        web.send([b"PING :in ", b"three ", b"fragments"])
        expect(web, "PONG .* :?in three fragments$")


def test_a_page_from_an_origin_not_allowed_is_refused(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--websocket-port", "0",
                     "--websocket-origins", "https://chat.example.org, https://other.example.org") as srv:
        with pytest.raises(InvalidStatus) as refused:
            connect(url(srv), origin=Origin("https://evil.example.com"))
        assert refused.value.response.status_code == 403
        for origin in (Origin("https://chat.example.org"), None):  # an allowed page; a client that is no browser
            with connect(url(srv), origin=origin) as web:
                register(web, "allowed" if origin else "native")
        assert "WebSocket handshake refused" in srv.log_text()


def test_secure_websocket_when_a_certificate_is_given(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert, key = write_cert(ca, tmp_path)
    with chat_server("pool", *NO_FLOOD_CONTROL, "--websocket-port", "0", "--tls-cert", cert,
                     "--tls-key", key) as srv:
        assert f"wss://127.0.0.1:{srv.ws_port}" in srv.log_text()
        with connect(f"wss://localhost:{srv.ws_port}", ssl=client_context(ca)) as web, \
                LineClient(srv.address, "plain") as plain:
            register(web, "secure")
            web.send("WHOIS secure")
            expect(web, " 671 secure secure ")  # WHOIS says the connection is secure
            web.send("PRIVMSG plain :over wss")
            assert plain.expect("PRIVMSG plain").params[1] == "over wss"


def test_websocket_clients_have_the_same_flood_control(mode: str) -> None:
    with chat_server(mode, "--websocket-port", "0", "--recvq", "1024") as srv, \
            connect(url(srv)) as web:
        register(web, "flooder")
        for i in range(60):  # far past the burst, and past the 1 KiB of input that may wait
            web.send(f"PRIVMSG flooder :line {i} " + "x" * 40)
        expect(web, "^ERROR :Excess Flood$")


@pytest.mark.timeout(90)
def test_a_websocket_client_that_stops_reading_is_dropped_at_its_sendq(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--websocket-port", "0", "--sendq", "65536") as srv, \
            LineClient(srv.address, "talker", timeout=30) as talker:
        talker.send("JOIN #busy")
        talker.expect(" 366 talker ")
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect((srv.host, srv.ws_port))
        client = ClientProtocol(parse_uri(url(srv)))  # websockets' sans-I/O client: it reads only when told
        client.send_request(client.connect())
        stalled.sendall(b"".join(client.data_to_send()))
        while client.state is not State.OPEN:
            client.receive_data(stalled.recv(4096))
        for line in (b"NICK stalled", b"USER s 0 * :s", b"JOIN #busy"):
            client.send_text(line)
        stalled.sendall(b"".join(client.data_to_send()))
        talker.expect(r":stalled!\S+ JOIN #busy")
        talker.drain_in_background()
        for n in range(3000):
            talker.send(f"PRIVMSG #busy :message {n} " + "x" * 250)
        assert wait_for(lambda: re.search(r"disconnecting \S+ \(stalled\): SendQ exceeded", srv.log_text()), 30)
        stalled.close()


def test_a_refused_websocket_client_gets_an_http_answer(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--websocket-port", "0", "--max-per-ip", "1",
                     "--throttle-exempt", "10.255.255.255/32") as srv, LineClient(srv.address, "only"):
        for _ in range(5):
            with socket.create_connection((srv.host, srv.ws_port), timeout=5) as browser:
                browser.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                b"Sec-WebSocket-Version: 13\r\n\r\n")
                answer = b""
                while chunk := browser.recv(4096):  # to EOF: a reset would fail the test
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            assert answer.endswith(b"\r\n\r\nToo many connections from 127.0.0.1\n")
