"""METADATA notices, REDACT and read markers over real sockets, in every dispatch mode: in process
mode the two clients sit on different workers and the state these features keep is in the Manager."""

from __future__ import annotations

import pytest

from tests.integration.test_process_mode import clients_on_two_workers
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server

CAPS = "draft/metadata-3 batch message-tags echo-message draft/message-redaction draft/read-marker"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_metadata_redaction_and_read_markers_reach_across_workers(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2") as srv:
        if mode == "process":
            (a, *_), (b, *_) = list(clients_on_two_workers(srv, "s").values())[:2]
        else:
            a, b = LineClient(srv.address, "s0"), LineClient(srv.address, "s1")
        with a, b:
            for client in (a, b):
                client.send(f"CAP REQ :{CAPS}")
                client.expect(" ACK ")
                client.send("JOIN #shared")
                client.expect(" 366 ")
            b.send("METADATA * SUB display-name")
            b.expect(" 770 ")
            a.send("METADATA * SET display-name :Alice A")
            assert b.expect(" 761 ").params == (b.nick, a.nick, "display-name", "*", "Alice A")
            a.send("PRIVMSG #shared :regret")
            msgid = a.expect("PRIVMSG #shared :regret").tags["msgid"]
            b.expect("PRIVMSG #shared :regret")
            a.send(f"REDACT #shared {msgid}")
            assert b.expect(" REDACT ").params == ("#shared", msgid)
            b.send("MARKREAD #shared timestamp=2024-01-01T00:00:00.000Z")
            b.expect(" MARKREAD ")
            b.send("PART #shared")
            b.send("JOIN #shared")
            assert b.expect(" MARKREAD ").params == ("#shared", "timestamp=2024-01-01T00:00:00.000Z")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_a_renamed_channel_keeps_delivering_on_every_worker(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2") as srv:
        if mode == "process":
            (a, *_), (b, *_) = list(clients_on_two_workers(srv, "r").values())[:2]
        else:
            a, b = LineClient(srv.address, "r0"), LineClient(srv.address, "r1")
        with a, b:
            a.send("CAP REQ :draft/channel-rename")
            a.expect(" ACK ")
            for client in (a, b):
                client.send("JOIN #before")
                client.expect(" 366 ")
            a.send("RENAME #before #after :moving")
            assert a.expect(" RENAME ").params == ("#before", "#after", "moving")
            b.expect(f":{b.nick}!\\S+ PART #before")
            b.expect(f":{b.nick}!\\S+ JOIN #after")
            a.send("PRIVMSG #after :still here")
            b.expect("PRIVMSG #after :still here")
            b.send("PART #after")
            a.expect(f":{b.nick}!\\S+ PART #after")
