"""labeled-response over real sockets, in every dispatch mode: the command's own events come back inside its
one labelled response (they travel the log and the fanout, not the reply path)."""

from __future__ import annotations

from tests.integration.test_network import network
from tests.support.client import LineClient
from tests.support.servers import RunningServer

CAPS = "labeled-response batch echo-message message-tags server-time"


def capable(server: RunningServer, nick: str) -> LineClient:
    client = LineClient(server.address)
    client.send(f"CAP REQ :{CAPS}")
    client.expect(" ACK ")
    client.register_after_cap(nick)
    return client


def test_labelled_join_nick_and_echoes_are_single_labelled_responses(server: RunningServer) -> None:
    with capable(server, "alice") as alice, capable(server, "bobby") as bob:
        alice.send("@label=j JOIN #lab")
        opening = alice.expect(" BATCH \\+")
        ref = opening.params[0][1:]
        assert opening.tags["label"] == "j" and opening.params[1] == "labeled-response"
        inner = alice.expect_until(f" BATCH -{ref}")[:-1]
        assert inner[0].command == "JOIN" and all(m.tags.get("batch") == ref for m in inner)
        assert {"353", "366"} <= {m.command for m in inner}

        bob.send("JOIN #lab")
        bob.expect(" 366 ")
        alice.expect(" JOIN #lab")
        for i in range(20):  # each echo, whatever thread delivered it, comes back as the labelled response
            alice.send(f"@label=p{i} PRIVMSG #lab :hello {i}")
            echo = alice.expect(f"PRIVMSG #lab :hello {i}$")
            assert echo.tags["label"] == f"p{i}"
            got = bob.expect(f"PRIVMSG #lab :hello {i}$")
            assert "label" not in got.tags and got.tags["msgid"] == echo.tags["msgid"]

        alice.send("@label=s PRIVMSG alice :me")
        first = alice.expect("PRIVMSG alice :me")
        second = alice.expect("PRIVMSG alice :me")
        assert [first.tags.get("label"), second.tags.get("label")] == ["s", None]

        alice.send("@label=n NICK alicia")
        nick = alice.expect(" NICK ")
        assert nick.tags["label"] == "n" and nick.source is not None and nick.source.startswith("alice!")
        assert "label" not in bob.expect(" NICK ").tags

        bob.send("@label=q PRIVMSG alicia,nobody :hi")
        opening = bob.expect(" BATCH \\+")
        inner = bob.expect_until(" BATCH -")[:-1]
        assert opening.tags["label"] == "q" and [m.command for m in inner] == ["PRIVMSG", "401"]
        assert "label" not in alice.expect("PRIVMSG alicia :hi").tags


def test_labelled_echoes_and_joins_across_two_nodes() -> None:
    """On a network of nodes (--bus), a command's own events still come back inside its labelled response."""
    with network("pool") as (_, (a, b)), capable(a, "alice") as alice, capable(b, "bobby") as bob:
        bob.send("JOIN #nodes")
        bob.expect(" 366 ")
        alice.send("@label=j JOIN #nodes")
        opening = alice.expect(" BATCH \\+")
        inner = alice.expect_until(" BATCH -")[:-1]
        assert opening.tags["label"] == "j" and inner[0].command == "JOIN"
        bob.expect(r":alice!\S+ JOIN #nodes")
        for i in range(5):
            alice.send(f"@label=p{i} PRIVMSG #nodes :across {i}")
            assert alice.expect(f"PRIVMSG #nodes :across {i}$").tags["label"] == f"p{i}"
            assert "label" not in bob.expect(f"PRIVMSG #nodes :across {i}$").tags
        alice.send("@label=d PRIVMSG bobby :direct")
        assert alice.expect("PRIVMSG bobby :direct$").tags["label"] == "d"
        assert "label" not in bob.expect("PRIVMSG bobby :direct$").tags
