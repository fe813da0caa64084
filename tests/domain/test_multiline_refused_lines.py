"""draft/multiline: a line the parser refuses, when it was a line of the open batch, ends the batch: the batch
never goes out with a line missing, looking complete."""

from __future__ import annotations

import pytest

from server.protocol import Message

from .harness import Net
from .test_multiline import channel


def fails(messages: list[Message]) -> list[tuple[str, ...]]:
    return [m.params for m in messages if m.command == "FAIL"]


BAD_LINES = {
    "invalid UTF-8": b"@batch=a PRIVMSG #c :\xff\r\n",
    "a NUL byte": b"@batch=a PRIVMSG #c :nul\x00here\r\n",
    "over 512 bytes": b"@batch=a PRIVMSG #c :" + b"x" * 600 + b"\r\n",
    "the batch tag after another": b"@+x=1;batch=a PRIVMSG #c :\xff\r\n",
}


@pytest.mark.parametrize("bad", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_refused_line_of_an_open_batch_ends_the_batch(bad: bytes) -> None:
    net = Net()
    alice, bob, charlie = channel(net)
    before = net.log.last_seq()
    alice.say("BATCH +a draft/multiline #c")
    alice.say("@batch=a PRIVMSG #c :ok")
    alice.send_raw(bad)
    refusal = alice.messages()
    assert len(refusal) == 2  # the line's own refusal, then the batch's
    assert refusal[0].command in ("FAIL", "417")
    assert refusal[1].command == "FAIL" and refusal[1].params[:2] == ("BATCH", "MULTILINE_INVALID")
    alice.say("@batch=a PRIVMSG #c :after")  # the batch's later lines and its close: dropped without a word
    alice.say("BATCH -a")
    assert alice.lines() == [] and bob.lines() == [] and charlie.lines() == []
    assert net.log.last_seq() == before  # nothing delivered, nothing in history
    send_ok = "@batch=b PRIVMSG #c :fine"  # the next batch works
    alice.say("BATCH +b draft/multiline #c")
    alice.say(send_ok)
    alice.say("BATCH -b")
    assert [m.params[1] for m in bob.messages()[1:-1]] == ["fine"]


def test_a_refused_line_of_no_batch_leaves_the_open_batch_alone() -> None:
    net = Net()
    alice, bob, _ = channel(net)
    alice.say("BATCH +a draft/multiline #c")
    alice.say("@batch=a PRIVMSG #c :ok")
    alice.send_raw(b"PRIVMSG #c :\xff\r\n")  # not a line of the batch: only its own refusal
    alice.send_raw(b"@batch=other PRIVMSG #c :\xff\r\n")
    assert [m.params[1] for m in alice.messages()] == ["INVALID_UTF8", "INVALID_UTF8"]
    alice.say("@batch=a PRIVMSG #c :two")
    alice.say("BATCH -a")
    assert [m.params[1] for m in bob.messages()[1:-1]] == ["ok", "two"]


def test_an_unreadable_overlong_line_ends_the_open_batch() -> None:
    """A line past the tag and body limits together is dropped unread: it may have been the batch's."""
    net = Net()
    alice, bob, _ = channel(net)
    alice.say("BATCH +a draft/multiline #c")
    alice.say("@batch=a PRIVMSG #c :ok")
    alice.send_raw(b"@batch=a;+x=" + b"y" * 9000 + b" PRIVMSG #c :z\r\n")
    assert [(m.command, m.params[:2]) for m in alice.messages()] == [
        ("417", ("alice", "Input line was too long")), ("FAIL", ("BATCH", "MULTILINE_INVALID"))]
    alice.say("BATCH -a")
    assert bob.lines() == []
