"""WHOX: WHO with %fields and a token, answered with 354 in a fixed field order."""

from __future__ import annotations

from .harness import Net


def test_whox_sends_the_fields_asked_for_in_the_standard_order() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    b.lines()
    b.say("WHO alice %rnaft,42")
    reply, end = b.messages()
    assert reply.command == "354"
    assert reply.params == ("bob", "42", "alice", "H", "0", "alice real")
    assert end.command == "315"


def test_whox_of_a_channel_gives_prefixes_and_every_field() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    b.lines()
    b.say("WHO #X %tcuihsnfdlaor,7")
    lines = b.messages()
    assert [m.command for m in lines] == ["354", "354", "315"]
    assert lines[0].params == ("bob", "7", "#x", "~alice", "127.0.0.1", "127.0.0.1", "chat.local", "alice",
                               "H@", "0", "0", "0", "n/a", "alice real")


def test_a_bad_token_is_left_out_and_plain_who_is_unchanged() -> None:
    net = Net()
    a = net.user("alice")
    a.say("WHO alice %tn,abcd")
    assert a.messages()[0].params == ("alice", "alice")
    a.say("WHO alice o")
    assert a.numerics() == ["352", "315"]


def test_isupport_offers_whox() -> None:
    net = Net()
    u = net.connect()
    u.say("NICK a")
    u.say("USER a 0 * :a")
    tokens = {t for m in u.messages() if m.command == "005" for t in m.params[1:-1]}
    assert "WHOX" in tokens
