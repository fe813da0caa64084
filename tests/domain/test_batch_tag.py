"""A ``batch`` tag makes a line a draft/multiline batch line only where a batch can be: the client has one open,
or negotiated draft/multiline and sends PRIVMSG or NOTICE; PING, PONG and QUIT always run as themselves."""

from __future__ import annotations

import pytest

from server.protocol import Message

from .harness import Net
from .test_multiline import BASE, channel


def fails(messages: list[Message]) -> list[tuple[str, ...]]:
    return [m.params for m in messages if m.command == "FAIL"]


def test_a_batch_tag_from_a_client_without_multiline_is_ignored() -> None:
    net = Net()
    _, bob, charlie = channel(net)
    charlie.say("@batch=x PRIVMSG #c :hello")
    assert fails(charlie.messages()) == []
    relayed = bob.messages()
    assert [m.params for m in relayed] == [("#c", "hello")] and "batch" not in relayed[0].tags


@pytest.mark.parametrize("caps", [BASE, BASE + " draft/multiline"], ids=["plain", "multiline"])
def test_ping_and_quit_run_whatever_batch_tag_they_carry(caps: str) -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    user = alice if "draft/multiline" in caps else charlie
    user.say("@batch=x PING :t1")
    assert [(m.command, m.params[-1]) for m in user.messages()] == [("PONG", "t1")]
    if user is alice:
        user.say("BATCH +a draft/multiline #c")
    user.say("@batch=a PING :t2")  # even inside an open batch, PING is answered, and the batch goes on
    assert [(m.command, m.params[-1]) for m in user.messages()] == [("PONG", "t2")]
    if user is alice:
        user.say("@batch=a PRIVMSG #c :in")
        user.say("BATCH -a")
        assert [m.params[1] for m in bob.messages()[1:-1]] == ["in"]
    user.say("@batch=a QUIT :bye")
    assert user.closed_with is not None
    assert any(m.command == "QUIT" and m.params == ("Quit: bye",) for m in bob.messages())


def test_a_multiline_client_is_told_of_a_line_of_no_open_batch() -> None:
    net = Net()
    alice, bob, _ = channel(net)
    alice.say("@batch=x PRIVMSG #c :stray")
    assert fails(alice.messages()) == [("BATCH", "MULTILINE_INVALID", "No batch x is open")]
    assert bob.lines() == []
    alice.say("@batch=x JOIN #d")  # a command no batch holds: the tag means nothing to it
    assert any(m.command == "JOIN" for m in alice.messages())
