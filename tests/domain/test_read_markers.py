"""MARKREAD (draft/read-marker): markers per account (else per connection) that only move forward, sent on JOIN."""

from __future__ import annotations

from server.domain.read_markers import MARKS_PER_OWNER

from .harness import Net, NetUser
from .test_ircv3 import capable

CAP = "draft/read-marker"


def test_set_get_and_never_backwards() -> None:
    net = Net()
    a = capable(net, "alice", CAP)
    a.say("MARKREAD #nosuch")
    assert a.lines() == [":chat.local MARKREAD #nosuch *"]
    a.say("MARKREAD bob timestamp=2023-07-04T00:00:00.000Z")
    assert a.lines() == [":chat.local MARKREAD bob timestamp=2023-07-04T00:00:00.000Z"]
    a.say("MARKREAD BOB timestamp=2020-01-01T00:00:00.000Z")
    assert a.lines() == [":chat.local MARKREAD BOB timestamp=2023-07-04T00:00:00.000Z"]
    a.say("MARKREAD bob")
    assert a.lines() == [":chat.local MARKREAD bob timestamp=2023-07-04T00:00:00.000Z"]


def test_join_sends_the_marker_before_the_end_of_names() -> None:
    net = Net()
    a = capable(net, "alice", CAP)
    a.say("JOIN #t")
    commands = [m.command for m in a.messages()]
    assert commands.index("MARKREAD") < commands.index("366")
    a.say("MARKREAD #t timestamp=2020-03-15T10:00:00.000Z")
    a.say("PART #t")
    a.lines()
    a.say("JOIN #t")
    (mark,) = [m for m in a.messages() if m.command == "MARKREAD"]
    assert mark.params == ("#t", "timestamp=2020-03-15T10:00:00.000Z")
    plain = net.user("plain")
    plain.say("JOIN #t")
    assert "MARKREAD" not in plain.numerics()


def test_bad_requests_fail() -> None:
    net = Net()
    a = capable(net, "alice", CAP)
    a.say("MARKREAD")
    a.say("MARKREAD #t *")
    a.say("MARKREAD #t timestamp=not-a-timestamp")
    assert [m.params[:2] for m in a.messages()] == [("MARKREAD", "NEED_MORE_PARAMS"), ("MARKREAD", "INVALID_PARAMS"),
                                                     ("MARKREAD", "INVALID_PARAMS")]


def test_markers_are_bounded_per_owner() -> None:
    net = Net()
    a = capable(net, "alice", CAP)
    for i in range(MARKS_PER_OWNER + 1):
        a.say(f"MARKREAD #c{i} timestamp=2020-01-01T00:00:00.000Z")
    a.lines()
    a.say("MARKREAD #c0")
    assert a.lines() == [":chat.local MARKREAD #c0 *"]
    a.say(f"MARKREAD #c{MARKS_PER_OWNER}")
    assert a.lines() == [f":chat.local MARKREAD #c{MARKS_PER_OWNER} timestamp=2020-01-01T00:00:00.000Z"]


def alices_sessions(net: Net) -> tuple[NetUser, NetUser]:
    """Alice registered on her phone, and logged in to the same account from her laptop; both with the cap."""
    from .test_accounts import registered

    phone = registered(net, "alice")
    phone.say("CAP REQ draft/read-marker")
    laptop = capable(net, "laptop", CAP)
    laptop.say("NS IDENTIFY alice correct-horse")
    return phone, laptop


def test_a_marker_moved_by_one_session_reaches_the_accounts_other_sessions_only() -> None:
    net = Net()
    phone, laptop = alices_sessions(net)
    old = net.user("oldclient")  # the same account without the cap: told nothing
    old.say("NS IDENTIFY alice correct-horse")
    tagged = capable(net, "tablet")  # with every cap, server-time among them
    tagged.say("NS IDENTIFY alice correct-horse")
    mallory = capable(net, "mallory", CAP)  # another user: never told
    for user in (phone, laptop, old, tagged, mallory):
        user.lines()
    phone.say("MARKREAD #t timestamp=2024-01-02T03:04:05.678Z")
    assert phone.lines() == [":chat.local MARKREAD #t timestamp=2024-01-02T03:04:05.678Z"]
    assert laptop.lines() == [":chat.local MARKREAD #t timestamp=2024-01-02T03:04:05.678Z"]
    (copy,) = tagged.messages()
    assert copy.command == "MARKREAD" and copy.params == ("#t", "timestamp=2024-01-02T03:04:05.678Z")
    assert old.lines() == [] and mallory.lines() == []
    laptop.say("MARKREAD #t timestamp=2023-01-01T00:00:00.000Z")  # backwards: kept where it was, nobody told
    assert laptop.lines() == [":chat.local MARKREAD #t timestamp=2024-01-02T03:04:05.678Z"]
    assert phone.lines() == []
    laptop.say("MARKREAD #t")
    assert laptop.lines() == [":chat.local MARKREAD #t timestamp=2024-01-02T03:04:05.678Z"]


def test_a_nick_does_not_pass_its_markers_to_whoever_takes_it_next() -> None:
    net = Net()
    bob = capable(net, "bob", CAP)
    bob.say("MARKREAD alice timestamp=2024-05-06T07:08:09.000Z")
    bob.lines()
    bob.say("QUIT")
    mallory = capable(net, "bob", CAP)
    mallory.say("MARKREAD alice")
    assert mallory.lines() == [":chat.local MARKREAD alice *"]


def test_logging_out_or_quitting_stops_the_copies() -> None:
    net = Net()
    phone, laptop = alices_sessions(net)
    tablet = capable(net, "tablet", CAP)
    tablet.say("NS IDENTIFY alice correct-horse")
    for user in (phone, laptop, tablet):
        user.lines()
    laptop.say("NS LOGOUT")
    tablet.say("QUIT")
    laptop.lines()
    phone.say("MARKREAD #t timestamp=2024-01-02T03:04:05.678Z")
    assert phone.lines() == [":chat.local MARKREAD #t timestamp=2024-01-02T03:04:05.678Z"]
    assert laptop.lines() == []
    laptop.say("MARKREAD #t")  # its own markers now, not the account's
    assert laptop.lines() == [":chat.local MARKREAD #t *"]
