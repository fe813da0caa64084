"""labeled-response: one logical response, one label, the command's own events inside it."""

from __future__ import annotations

from server.protocol import Message

from .harness import Net
from .test_ircv3 import capable

LABEL_CAPS = "batch labeled-response echo-message message-tags server-time"


def batch_of(msgs: list[Message], label: str) -> list[Message]:
    """The inside of one labelled batch that is all of ``msgs``."""
    opening, *inner, closing = msgs
    assert opening.command == "BATCH" and opening.tags.get("label") == label, msgs
    assert opening.params[1] == "labeled-response"
    ref = opening.params[0][1:]
    assert closing.command == "BATCH" and closing.params == (f"-{ref}",)
    assert all(m.tags.get("batch") == ref and "label" not in m.tags for m in inner), inner
    return inner


def test_a_labelled_join_is_one_batch_with_the_join_inside() -> None:
    net = Net()
    a = capable(net, "alice", LABEL_CAPS)
    a.say("@label=j1 JOIN #x")
    inner = batch_of(a.messages(), "j1")
    assert inner[0].command == "JOIN" and inner[0].params[0] == "#x"
    assert {"353", "366"} <= {m.command for m in inner}


def test_a_labelled_join_of_a_valid_and_an_invalid_channel_is_one_batch() -> None:
    a = capable(Net(), "alice", LABEL_CAPS)
    a.say("@label=j2 JOIN #ok,inv@lid")
    commands = [m.command for m in batch_of(a.messages(), "j2")]
    assert "JOIN" in commands and "366" in commands and "403" in commands


def test_a_labelled_nick_change_carries_the_label_itself() -> None:
    net = Net()
    a = capable(net, "alice", "batch labeled-response")
    a.say("@label=n NICK alice2")
    (nick,) = a.messages()
    assert nick.command == "NICK" and nick.params == ("alice2",) and nick.tags == {"label": "n"}
    assert nick.source is not None and nick.source.startswith("alice!")


def test_a_labelled_echoed_privmsg_is_the_echo_with_the_label_and_the_recipient_gets_no_label() -> None:
    net = Net()
    a, b = capable(net, "alice", LABEL_CAPS), capable(net, "bob", LABEL_CAPS)
    a.say("@label=p1;+draft/reply=x PRIVMSG bob :hi")
    (echo,) = a.messages()
    (got,) = b.messages()
    assert echo.command == "PRIVMSG" and echo.tags["label"] == "p1" and echo.tags["+draft/reply"] == "x"
    assert "label" not in got.tags and got.tags["msgid"] == echo.tags["msgid"]


def test_a_labelled_privmsg_to_several_users_is_one_batch_of_echoes() -> None:
    net = Net()
    a = capable(net, "alice", LABEL_CAPS)
    others = [capable(net, nick, LABEL_CAPS) for nick in ("bob", "carl", "dana")]
    a.say("@label=m PRIVMSG bob,carl,dana :hi")
    echoes = batch_of(a.messages(), "m")
    assert [m.params[0] for m in echoes] == ["bob", "carl", "dana"]
    for other in others:
        (got,) = other.messages()
        assert "label" not in got.tags


def test_a_labelled_message_to_oneself_comes_back_twice_labelled_once() -> None:
    a = capable(Net(), "alice", LABEL_CAPS)
    for command in ("PRIVMSG", "NOTICE", "TAGMSG"):
        a.say(f"@label=s;+draft/react=x {command} alice" + (" :hi" if command != "TAGMSG" else ""))
        msgs = a.messages()
        assert [m.command for m in msgs] == [command, command]
        assert [m.tags.get("label") for m in msgs] == ["s", None]


def test_a_labelled_channel_message_with_echo_is_labelled_and_without_echo_is_an_ack() -> None:
    net = Net()
    a, b = capable(net, "alice", LABEL_CAPS), capable(net, "bob", "batch labeled-response")
    for user in (a, b):
        user.say("JOIN #x")
    a.lines(), b.lines()
    a.say("@label=c1 PRIVMSG #x :hi")
    (echo,) = a.messages()
    assert echo.command == "PRIVMSG" and echo.tags["label"] == "c1"
    assert b.lines() == [":alice!~alice@127.0.0.1 PRIVMSG #x :hi"]
    b.say("@label=c2 PRIVMSG #x :back")
    (ack,) = b.messages()
    assert ack.command == "ACK" and ack.tags == {"label": "c2"}


def test_without_labeled_response_nothing_is_held() -> None:
    net = Net()
    a = capable(net, "alice", "echo-message batch")
    a.say("@label=ignored JOIN #x")
    msgs = a.messages()
    assert msgs[0].command == "JOIN" and all("label" not in m.tags and "batch" not in m.tags for m in msgs)
    a.say("PRIVMSG alice :me")
    assert [m.command for m in a.messages()] == ["PRIVMSG", "PRIVMSG"]


def test_an_unlabelled_echo_still_in_flight_is_not_taken_into_the_next_labelled_response() -> None:
    net = Net()
    a, b = capable(net, "alice", LABEL_CAPS), capable(net, "bob", LABEL_CAPS)
    a.send_raw(b"PRIVMSG bob :one\r\n@label=l2 PRIVMSG bob :two\r\n")
    first, second = a.messages()
    assert first.params[1] == "one" and "label" not in first.tags
    assert second.params[1] == "two" and second.tags["label"] == "l2"
    assert [m.params[1] for m in b.messages()] == ["one", "two"]
