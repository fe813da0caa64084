"""REDACT (draft/message-redaction): who may redact, who hears of it, and history forgetting the message."""

from __future__ import annotations

from server.protocol import Message

from .harness import Net, NetUser
from .test_ircv3 import capable

CAPS = "message-tags echo-message batch server-time draft/chathistory draft/message-redaction"


def said(user: NetUser, line: str) -> Message:
    user.say(line)
    (echo,) = user.messages()
    return echo


def test_authors_and_operators_redact_and_members_with_the_cap_hear_it() -> None:
    net = Net()
    op, bob, plain = capable(net, "op", CAPS), capable(net, "bob", CAPS), net.user("plain")
    for user in (op, bob, plain):
        user.say("JOIN #c")
    for user in (op, bob, plain):
        user.lines()
    mine = said(bob, "PRIVMSG #c :oops").tags["msgid"]
    op.lines(), plain.lines()
    bob.say(f"REDACT #c {mine} :typo")
    (redact,) = bob.messages()
    assert (redact.command, redact.params, redact.source) == ("REDACT", ("#c", mine, "typo"), "bob!~bob@127.0.0.1")
    assert op.messages()[0].command == "REDACT" and plain.lines() == []
    theirs = said(op, "PRIVMSG #c :op speaks").tags["msgid"]
    bob.lines()
    bob.say(f"REDACT #c {theirs}")
    (fail,) = bob.messages()
    assert fail.command == "FAIL" and fail.params[:4] == ("REDACT", "REDACT_FORBIDDEN", "#c", theirs)
    assert op.lines() == []
    other = said(bob, "PRIVMSG #c :spam").tags["msgid"]
    op.lines()
    op.say(f"REDACT #c {other} :spam")
    assert [m.command for m in op.messages()] == ["REDACT"]


def test_unknown_msgids_and_targets_fail() -> None:
    net = Net()
    a = capable(net, "alice", CAPS)
    a.say("JOIN #c")
    a.lines()
    a.say("REDACT #c nonexistent123")
    assert a.messages()[0].params[:4] == ("REDACT", "UNKNOWN_MSGID", "#c", "nonexistent123")
    a.say("REDACT #elsewhere x-1")
    assert a.messages()[0].params[:3] == ("REDACT", "INVALID_TARGET", "#elsewhere")


def test_history_and_join_replay_forget_a_redacted_message() -> None:
    net = Net()
    a = capable(net, "alice", CAPS)
    a.say("JOIN #c")
    a.lines()
    said(a, "PRIVMSG #c :kept")
    gone = said(a, "PRIVMSG #c :gone").tags["msgid"]
    a.say(f"REDACT #c {gone}")
    a.lines()
    a.say("CHATHISTORY LATEST #c * 10")
    texts = [m.params[1] for m in a.messages() if m.command == "PRIVMSG"]
    assert texts == ["kept"]
    late = net.user("late")  # no chathistory cap: replayed on join, from memory
    late.say("JOIN #c")
    assert [m.params[1] for m in late.messages() if m.command == "PRIVMSG"] == ["kept"]


def test_a_private_message_is_redacted_for_both_sides() -> None:
    net = Net()
    a, b = capable(net, "alice", CAPS), capable(net, "bob", CAPS)
    msgid = said(a, "PRIVMSG bob :secret").tags["msgid"]
    b.lines()
    b.say(f"REDACT alice {msgid}")  # not bob's to take back
    assert b.messages()[0].params[1] == "REDACT_FORBIDDEN"
    a.say(f"REDACT bob {msgid}")
    assert a.messages()[0].params == ("bob", msgid)
    assert b.messages()[0].params == ("bob", msgid)
    a.say(f"REDACT bob {msgid}")  # gone from history: nothing left to redact
    assert a.messages()[0].params[1] == "UNKNOWN_MSGID"
