"""Fanout.hold: a labelled command's own events wait for its response, and what follows them waits behind it."""

from __future__ import annotations

from server.delivery import Fanout, Outbound
from server.log import Entry
from server.log.events import Event


class Recipient:
    def __init__(self, conn_id: str, caps: frozenset[str] = frozenset()) -> None:
        self.conn_id = conn_id
        self.caps = caps
        self.outbound = Outbound(self, 1 << 16)
        self.got = bytearray()
        self.aborted = ""

    def write_nowait(self, data: bytes) -> int:
        self.got += data
        return len(data)

    def write_blocked(self, outbound: Outbound) -> None:
        raise AssertionError("never full")

    def abort(self, reason: str) -> None:
        self.aborted = reason


def join(seq: int, conn_id: str, nick: str) -> Entry:
    return Entry(seq, f"r-{seq}", 0.0, Event("JOIN", f"{nick}!u@h", ("#x",), conn_id, ("#x",)))


def say(seq: int, conn_id: str, nick: str, text: str) -> Entry:
    return Entry(seq, f"r-{seq}", 0.0, Event("PRIVMSG", f"{nick}!u@h", ("#x", text), conn_id, ("#x",)))


def test_own_events_are_held_for_the_response_and_what_follows_them_waits_behind_it() -> None:
    fanout: Fanout[Recipient] = Fanout()
    alice, bob = Recipient("a", frozenset({"echo-message"})), Recipient("b")
    fanout.add(alice)
    fanout.add(bob)
    fanout.deliver([join(1, "b", "bob"), join(2, "a", "alice")])
    alice.got.clear()
    fanout.hold("a", 3)  # seq 3, an earlier command's echo, is logged but not yet delivered
    fanout.deliver([say(3, "a", "alice", "earlier"), say(4, "b", "bob", "between")])
    assert bytes(alice.got) == b":alice!u@h PRIVMSG #x :earlier\r\n:bob!u@h PRIVMSG #x :between\r\n"
    alice.got.clear()
    fanout.deliver([say(5, "a", "alice", "mine"), say(6, "b", "bob", "hello")])
    assert bytes(alice.got) == b""
    assert [m.params for m in fanout.held("a")] == [("#x", "mine")]
    assert fanout.release(alice, [b"RESPONSE\r\n"])
    alice.outbound.flush()
    assert bytes(alice.got) == b"RESPONSE\r\n:bob!u@h PRIVMSG #x :hello\r\n"
    fanout.deliver([say(7, "b", "bob", "after")])
    assert bytes(alice.got).endswith(b":bob!u@h PRIVMSG #x :after\r\n")
    assert bytes(bob.got).count(b"PRIVMSG") == 2  # alice's two, at once: bob has no echo-message


def test_a_closed_connection_leaves_no_hold_behind() -> None:
    fanout: Fanout[Recipient] = Fanout()
    alice = Recipient("a")
    fanout.add(alice)
    fanout.hold("a", 0)
    fanout.remove(alice)
    assert fanout.held("a") == [] and not fanout._holds
    fanout.hold("a", 0)  # a labelled command that started as it closed
    assert not fanout._holds  # else every delivery would look for holds from then on


def test_what_waits_behind_a_response_counts_against_the_sendq() -> None:
    fanout: Fanout[Recipient] = Fanout()
    alice, bob = Recipient("a", frozenset({"echo-message"})), Recipient("b")
    alice.outbound.limit = 60
    fanout.add(alice)
    fanout.add(bob)
    fanout.deliver([join(1, "b", "bob"), join(2, "a", "alice")])
    alice.got.clear()
    fanout.hold("a", 2)
    fanout.deliver([say(3, "a", "alice", "mine"), say(4, "b", "bob", "one"), say(5, "b", "bob", "two")])
    assert not alice.aborted  # two of bob's lines, 26 bytes each, wait within the 60
    fanout.deliver([say(6, "b", "bob", "three")])
    assert alice.aborted == "SendQ exceeded" and not bob.aborted
