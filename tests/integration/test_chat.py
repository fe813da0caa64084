"""Two users over real sockets: register, join, chat, private messages, nick, topic, part, quit."""

from __future__ import annotations

import pytest

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server


def test_two_users_chat_through_a_channel(server: RunningServer) -> None:
    chat_through_a_channel(server)


@pytest.mark.parametrize("mode", ["thread", "pool"])
def test_two_users_chat_with_the_log_in_a_manager(mode: str) -> None:
    """Process mode always uses the Manager; the other modes can be asked to."""
    with chat_server(mode, *NO_FLOOD_CONTROL, "--log", "manager") as server:
        assert "log manager)" in server.log_text()
        chat_through_a_channel(server)


def chat_through_a_channel(server: RunningServer) -> None:
    with LineClient(server.address, "alice") as alice, LineClient(server.address, "bob") as bob:
        alice.send("JOIN #lobby")
        alice.expect(" 366 alice #lobby ")
        bob.send("JOIN #lobby")
        names = bob.expect(" 353 bob ")
        assert names.params[-1].split() == ["@alice", "bob"]
        alice.expect(r":bob!\S+ JOIN #lobby")

        alice.send("PRIVMSG #lobby :hello bob")
        msg = bob.expect("PRIVMSG #lobby")
        assert msg.source is not None and msg.source.startswith("alice!")
        assert msg.params == ("#lobby", "hello bob")

        bob.send("PRIVMSG alice :a private word")
        assert alice.expect("PRIVMSG alice").params[1] == "a private word"

        alice.send("NICK alicia")
        assert bob.expect(" NICK ").params == ("alicia",)
        alice.expect(" NICK alicia")
        bob.send("PRIVMSG alicia :new name?")
        alice.expect("PRIVMSG alicia :new name")

        alice.send("TOPIC #lobby :Friday plans")
        assert bob.expect(" TOPIC ").params == ("#lobby", "Friday plans")

        bob.send("PART #lobby :later")
        assert alice.expect(" PART ").params == ("#lobby", "later")
        bob.send("JOIN #lobby")
        topic = bob.expect(" 332 bob ")
        assert topic.params[-1] == "Friday plans"

        bob.send("QUIT :bye now")
        assert bob.expect("^ERROR").params[0] == "Quit: bye now"
        quit_msg = alice.expect(" QUIT ")
        assert quit_msg.source is not None and quit_msg.source.startswith("bob!")
        assert quit_msg.params == ("Quit: bye now",)


def test_sender_does_not_get_its_own_channel_message_and_outsiders_see_nothing(server: RunningServer) -> None:
    with LineClient(server.address, "a1") as a, LineClient(server.address, "b1") as b, \
            LineClient(server.address, "c1") as c:
        for client in (a, b):
            client.send("JOIN #room")
            client.expect(" 366 ")
        a.expect("JOIN #room")  # b's join
        a.send("PRIVMSG #room :one")
        b.expect("PRIVMSG #room :one")
        a.send("PING sync")
        a.expect("PONG")
        assert not [line for line in a.seen if " PRIVMSG " in line]
        assert not [line for line in c.lines_for(0.2) if " PRIVMSG " in line]


def test_messages_from_one_sender_arrive_complete_and_in_order(server: RunningServer) -> None:
    with LineClient(server.address, "sender") as s, LineClient(server.address, "reader") as r:
        for client in (s, r):
            client.send("JOIN #seq")
            client.expect(" 366 ")
        s.send("".join(f"PRIVMSG #seq :n{i}\r\n" for i in range(500)))
        r.expect("PRIVMSG #seq :n499", timeout=10)
        got = [line.rsplit(":", 1)[1] for line in r.seen if "PRIVMSG #seq" in line]
        assert got == [f"n{i}" for i in range(500)]


def test_nick_collision_and_registration_errors(server: RunningServer) -> None:
    with LineClient(server.address, "taken") as _first, LineClient(server.address) as second:
        second.send("NICK taken")
        second.expect(" 433 \\* taken ")
        second.send("NICK 1bad")
        second.expect(" 432 ")
        second.send("JOIN #x")
        second.expect(" 451 ")
        second.send("NICK free")
        second.send("USER free 0 * :Free")
        second.expect(" 001 free ")
        second.send("WHOIS taken")
        second.expect(" 311 free taken ")
