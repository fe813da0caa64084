"""draft/multiline over real sockets, in every dispatch mode: one message to a client with the capability and to
one without, kept so in history; an unclosed batch reaches nobody; flood control counts its lines."""

from __future__ import annotations

import time

from server.protocol import Message
from tests.support.client import LineClient
from tests.support.servers import chat_server

BASE = "batch message-tags server-time echo-message labeled-response draft/chathistory"
MULTI = BASE + " draft/multiline"


def client(address: tuple[str, int], nick: str, caps: str) -> LineClient:
    c = LineClient(address)
    c.send("CAP LS 302")
    c.send(f"CAP REQ :{caps}")
    c.expect(" ACK ")
    c.register_after_cap(nick)
    c.send("JOIN #ml")
    c.expect(" 366 ")
    return c


def batch_lines(ref: str, target: str, *lines: str) -> bytes:
    """A whole batch as one write: each line ``text``, or ``+text`` to concatenate it to the one before."""
    out = [f"BATCH +{ref} draft/multiline {target}"]
    for line in lines:
        tags = f"batch={ref};draft/multiline-concat" if line.startswith("+") else f"batch={ref}"
        out.append(f"@{tags} PRIVMSG {target} :{line.removeprefix('+')}")
    out.append(f"BATCH -{ref}")
    return "".join(f"{line}\r\n" for line in out).encode()


def received_batch(c: LineClient) -> list[Message]:
    """The next draft/multiline batch ``c`` receives, from its opening to its close."""
    got = c.expect_until(r"^(@\S+ )?:\S+ BATCH -")
    return got[next(i for i, m in enumerate(got) if m.command == "BATCH"):]


def inside(messages: list[Message], command: str = "PRIVMSG") -> list[str]:
    return [m.params[1] for m in messages if m.command == command]


def test_one_message_for_both_kinds_of_client_and_in_history(server) -> None:  # type: ignore[no-untyped-def]
    with client(server.address, "alice", MULTI) as alice, client(server.address, "bob", MULTI) as bob, \
            client(server.address, "carol", BASE) as carol:
        with client(server.address, "quitter", MULTI) as quitter:  # a batch never closed reaches nobody
            quitter.send(b"BATCH +q draft/multiline #ml\r\n@batch=q PRIVMSG #ml :never\r\n")
            quitter.send("QUIT :gone")
            carol.expect("QUIT :Quit: gone")
        alice.send(b"@label=L " + batch_lines("a", "#ml", "first", "", "second ", "+half"))
        echo = received_batch(alice)
        opening = echo[0]
        assert (opening.params[1:], opening.tags["label"]) == (("draft/multiline", "#ml"), "L")
        assert inside(echo) == ["first", "", "second ", "half"]

        got = received_batch(bob)
        assert got[0].tags["msgid"] == opening.tags["msgid"] and got[0].tags["time"] == opening.tags["time"]
        assert inside(got) == ["first", "", "second ", "half"]
        assert "draft/multiline-concat" in got[4].tags

        carol.send("PING :sync")
        fallback = [m for m in carol.expect_until("PONG") if m.command == "PRIVMSG"]
        assert inside(fallback) == ["first", "second ", "half"]
        assert [m.tags.get("msgid") for m in fallback] == [opening.tags["msgid"], None, None]
        assert "never" not in "\n".join(carol.seen + bob.seen)

        bob.send("CHATHISTORY LATEST #ml * 10")
        history = bob.expect_until(r"^:\S+ BATCH -\S+$")
        assert [m.command for m in history] == ["BATCH", "BATCH", "PRIVMSG", "PRIVMSG", "PRIVMSG", "PRIVMSG", "BATCH",
                                                "BATCH"]
        assert history[1].tags["msgid"] == opening.tags["msgid"]
        assert history[1].tags["batch"] == history[0].params[0][1:]  # nested in the chathistory batch
        carol.send("CHATHISTORY LATEST #ml * 10")
        assert inside(carol.expect_until(r"^:\S+ BATCH -\S+$")) == ["first", "second ", "half"]


def test_flood_control_delivers_a_batch_at_once_and_makes_what_follows_wait(mode: str) -> None:
    with chat_server(mode, "--flood-burst", "5", "--flood-rate", "2") as srv, \
            client(srv.address, "alice", MULTI) as alice, client(srv.address, "carol", BASE) as carol:
        lines = [f"line {n}" for n in range(12)]
        sent = time.monotonic()
        alice.send(batch_lines("f", "#ml", *lines) + b"PRIVMSG #ml :after\r\n")
        got = carol.expect_until("PRIVMSG #ml :line 11")
        assert inside(got) == lines
        # 15 tokens (the opening, 12 lines, the close, then "after") of a burst of 5 at most (the JOIN took
        # one): 10 more at 2 a second. Were the lines free, "after" would come at once.
        assert not any("after" in line for line in carol.lines_for(max(0.0, sent + 3.5 - time.monotonic())))
        carol.expect("PRIVMSG #ml :after", timeout=10)
        assert time.monotonic() - sent >= 4.5
