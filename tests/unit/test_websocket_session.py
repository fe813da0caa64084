"""WsSession, sans-I/O: websockets' own client protocol on the other end, bytes handed across by hand."""

from __future__ import annotations

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.protocol import State
from websockets.typing import Origin, Subprotocol
from websockets.uri import parse_uri

from server.dispatch.websocket import WebSocketPolicy, WsClosed, WsSession, parse_origins


class Wire:
    """The socket: takes everything the session sends."""

    def __init__(self) -> None:
        self.data = bytearray()

    def send(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def take(self) -> bytes:
        data, self.data = bytes(self.data), bytearray()
        return data


def handshake(session: WsSession, wire: Wire, subprotocols: list[str] | None = None,
              origin: str | None = None) -> ClientProtocol:
    client = ClientProtocol(parse_uri("ws://127.0.0.1:1"), origin=Origin(origin) if origin else None,
                            subprotocols=[Subprotocol(s) for s in subprotocols] if subprotocols else None)
    client.send_request(client.connect())
    assert session.receive(b"".join(client.data_to_send()), wire.send) == b""
    client.receive_data(wire.take())
    return client


def received(client: ClientProtocol, wire: Wire) -> list[Frame]:
    client.receive_data(wire.take())
    return [event for event in client.events_received() if isinstance(event, Frame)]


def test_lines_queued_before_the_handshake_go_out_after_it_one_message_each() -> None:
    session, wire = WebSocketPolicy().session(), Wire()
    assert session.write(b"PING :early\r\nNOTICE * :two\r\n", wire.send)
    assert wire.take() == b""
    client = handshake(session, wire, ["binary.ircv3.net"])
    assert client.state is State.OPEN and session.binary
    assert [f.data for f in received(client, wire)] == [b"PING :early", b"NOTICE * :two"]


def test_text_messages_carry_only_utf8() -> None:
    session, wire = WebSocketPolicy().session(), Wire()
    client = handshake(session, wire)
    assert client.subprotocol is None and not session.binary
    session.write(b"PRIVMSG web :caf\xe9\r\n", wire.send)
    (frame,) = received(client, wire)
    assert frame.opcode.name == "TEXT" and bytes(frame.data).decode() == "PRIVMSG web :caf\ufffd"


def test_client_messages_become_crlf_ended_lines_and_a_close_ends_the_session() -> None:
    session, wire = WebSocketPolicy().session(), Wire()
    client = handshake(session, wire, ["text.ircv3.net"])
    client.send_text(b"NICK a")
    client.send_binary(b"USER a 0 * :a\r\n")
    assert session.receive(b"".join(client.data_to_send()), wire.send) == b"NICK a\r\nUSER a 0 * :a\r\n"
    client.send_close(1000)
    with pytest.raises(WsClosed):
        session.receive(b"".join(client.data_to_send()), wire.send)
    assert not session.open


def test_an_origin_off_the_list_is_refused_with_403_and_no_origin_is_no_browser() -> None:
    policy = WebSocketPolicy(parse_origins("https://chat.example.org/"))
    session, wire = policy.session(), Wire()
    client = ClientProtocol(parse_uri("ws://127.0.0.1:1"), origin=Origin("https://evil.example"))
    client.send_request(client.connect())
    with pytest.raises(WsClosed, match="refused"):
        session.receive(b"".join(client.data_to_send()), wire.send)
    assert wire.take().startswith(b"HTTP/1.1 403 ")
    assert handshake(policy.session(), wire, origin="https://chat.example.org").state is State.OPEN
    assert handshake(policy.session(), wire).state is State.OPEN
    assert parse_origins("") is None and parse_origins("*") is None


def test_a_message_far_past_the_longest_line_closes_the_websocket_with_1009() -> None:
    session, wire = WebSocketPolicy().session(), Wire()
    client = handshake(session, wire)
    client.send_text(b"PRIVMSG x :" + b"y" * (64 << 10))
    with pytest.raises(WsClosed, match="WebSocket error"):
        session.receive(b"".join(client.data_to_send()), wire.send)
    client.receive_data(wire.take())
    assert client.close_rcvd is not None and client.close_rcvd.code == 1009
