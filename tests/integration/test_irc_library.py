"""Driven by the `irc` package from PyPI: an independent client, so we test more than our own assumptions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import irc.client
import pytest

from tests.support.servers import NO_FLOOD_CONTROL, RunningServer


class Recorder:
    """Two irc.client connections on one reactor, recording every event they see."""

    def __init__(self, server: RunningServer) -> None:
        self.reactor = irc.client.Reactor()
        self.events: list[tuple[str, str, Any]] = []
        self.reactor.add_global_handler("all_events", self._record, -10)
        self.server = server

    def _record(self, connection: irc.client.ServerConnection, event: irc.client.Event) -> None:
        self.events.append((connection.get_nickname(), event.type, event))

    def connect(self, nick: str) -> irc.client.ServerConnection:
        conn = self.reactor.server().connect(self.server.host, self.server.port, nick)
        self.until(lambda: self.saw(nick, "welcome"))
        return conn

    def saw(self, nick: str, kind: str, where: Callable[[Any], bool] = lambda e: True) -> bool:
        return any(n == nick and t == kind and where(e) for n, t, e in self.events)

    def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                kinds = [(n, t) for n, t, _ in self.events[-20:]]
                raise AssertionError(f"condition not met; last events: {kinds}")
            self.reactor.process_once(0.05)


@pytest.mark.timeout(30)
def test_irc_library_clients_register_join_chat_and_query(server: RunningServer) -> None:
    rec = Recorder(server)
    ann = rec.connect("ann")
    ben = rec.connect("ben")
    ann.join("#irclib")
    rec.until(lambda: rec.saw("ann", "endofnames"))
    ben.join("#irclib")
    rec.until(lambda: rec.saw("ann", "join", lambda e: e.source.nick == "ben"))

    ann.privmsg("#irclib", "hello from the irc package")
    rec.until(lambda: rec.saw("ben", "pubmsg", lambda e: e.arguments == ["hello from the irc package"]))
    ben.privmsg("ann", "and a private reply")
    rec.until(lambda: rec.saw("ann", "privmsg", lambda e: e.source.nick == "ben"))

    ann.topic("#irclib", "set by irclib")
    rec.until(lambda: rec.saw("ben", "topic", lambda e: e.arguments == ["set by irclib"]))

    ben.nick("benjamin")
    rec.until(lambda: rec.saw("ann", "nick", lambda e: e.target == "benjamin"))
    ann.names(["#irclib"])
    rec.until(lambda: rec.saw("ann", "namreply", lambda e: "benjamin" in e.arguments[2].split()))

    ann.kick("#irclib", "benjamin", "testing kicks")
    rec.until(lambda: rec.saw("benjamin", "kick", lambda e: e.arguments[0] == "benjamin"))
    ben.quit("leaving")  # after the kick they share no channel: only benjamin hears of it
    rec.until(lambda: rec.saw("benjamin", "error", lambda e: e.target == "Quit: leaving"))
    rec.until(lambda: rec.saw("benjamin", "disconnect"))
    assert not rec.saw("ann", "quit")
    ann.disconnect("done")


@pytest.mark.timeout(30)
def test_irc_library_sees_our_errors_as_the_numerics_it_knows(server: RunningServer) -> None:
    rec = Recorder(server)
    conn = rec.connect("err")
    conn.privmsg("#nowhere", "anyone?")
    rec.until(lambda: rec.saw("err", "nosuchnick") or rec.saw("err", "cannotsendtochan"))
    conn.send_raw("NOSUCHCOMMAND")
    rec.until(lambda: rec.saw("err", "unknowncommand"))
    conn.disconnect("done")


@pytest.mark.timeout(60)
def test_irc_library_reads_back_yesterdays_conversation_after_a_restart(mode: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.servers import chat_server

    with chat_server(mode, *NO_FLOOD_CONTROL, data_dir=tmp_path) as first:
        rec = Recorder(first)
        old = rec.connect("olduser")
        old.join("#diary")
        rec.until(lambda: rec.saw("olduser", "endofnames"))
        for n in range(5):
            old.privmsg("#diary", f"entry {n}")
        old.ping("written")
        rec.until(lambda: rec.saw("olduser", "pong"))
        old.disconnect("bye")
    with chat_server(mode, *NO_FLOOD_CONTROL, data_dir=tmp_path) as second:
        rec = Recorder(second)
        new = rec.connect("newuser")
        new.cap("REQ", "draft/chathistory", "batch", "server-time")
        rec.until(lambda: rec.saw("newuser", "cap", lambda e: "ACK" in e.arguments))
        new.join("#diary")
        rec.until(lambda: rec.saw("newuser", "endofnames"))
        new.send_raw("CHATHISTORY LATEST #diary * 50")
        rec.until(lambda: rec.saw("newuser", "pubmsg", lambda e: e.arguments == ["entry 4"]))
        got = [e.arguments[0] for n, t, e in rec.events if n == "newuser" and t == "pubmsg"]
        assert got == [f"entry {n}" for n in range(5)]
        stamps = [dict((t["key"], t["value"]) for t in e.tags) for n, t, e in rec.events
                  if n == "newuser" and t == "pubmsg"]
        assert all(s.get("time", "").endswith("Z") for s in stamps)
        new.disconnect("done")
