"""CAP LS and CAP LIST fit IRC's 512 bytes however long the server's name: 302 clients get ``CAP * LS * :...``
continuation lines then the last without ``*``; older clients, which get names only, get lines they can each read."""

from __future__ import annotations

import pytest

from server.domain.handlers.registration import SUPPORTED_CAPS
from server.protocol import Message, parse_line

from .harness import Net

LONG_NAME = "irc." + "n" * 55 + ".net"  # 63 characters, the most a DNS name allows
assert len(LONG_NAME) == 63
OVERLONG_NAME = "irc." + "n" * 176  # no DNS name, yet --server-name takes it: even the names alone overflow
NAMES = pytest.mark.parametrize("name", [LONG_NAME, OVERLONG_NAME], ids=["63 characters", "180 characters"])


def cap_lines(lines: list[str], sub: str) -> list[Message]:
    assert all(len(line.encode()) + 2 <= 512 for line in lines), [len(line) for line in lines]
    return [m for m in (parse_line(line.encode()) for line in lines) if m.command == "CAP" and m.params[1] == sub]


def listed(messages: list[Message]) -> list[str]:
    return " ".join(m.params[-1] for m in messages).split()


@pytest.mark.parametrize("registered", [False, True], ids=["connecting", "registered with a 30-character nick"])
def test_cap_ls_302_is_split_with_continuation_lines(registered: bool) -> None:
    net = Net(name=LONG_NAME, register_email_required=True)  # the longest values: email-required
    user = net.connect()
    if registered:
        user.say("NICK " + "n" * 30)
        user.say("USER u 0 * :u")
        assert user.session.registered
        user.lines()
    user.say("CAP LS 302")
    replies = cap_lines(user.lines(), "LS")
    assert len(replies) >= 2  # the whole list on one line would be over 512 bytes
    assert [m.params[2] for m in replies[:-1]] == ["*"] * (len(replies) - 1)  # each but the last: more follow
    assert len(replies[-1].params) == 3
    tokens = listed(replies)
    assert len(tokens) == len(set(tokens))
    assert {token.partition("=")[0] for token in tokens} == set(SUPPORTED_CAPS)
    assert any(token.startswith("draft/multiline=max-bytes=") for token in tokens)
    assert any(token.startswith("draft/account-registration=") and "email-required" in token for token in tokens)


@NAMES
@pytest.mark.parametrize("version", ["", "301"], ids=["no version", "301"])
def test_cap_ls_before_302_names_every_cap_in_lines_that_fit(version: str, name: str) -> None:
    net = Net(name=name)
    user = net.connect()
    user.say(f"CAP LS {version}".strip())
    replies = cap_lines(user.lines(), "LS")
    assert all(len(m.params) == 3 for m in replies)  # no "*": a pre-302 client knows no continuation
    assert sorted(listed(replies)) == sorted(SUPPORTED_CAPS)  # names only, every one


@NAMES
def test_cap_list_of_every_cap_is_split_for_302_clients(name: str) -> None:
    net = Net(name=name)
    user = net.connect()
    user.say("CAP LS 302")
    user.say(f"CAP REQ :{' '.join(SUPPORTED_CAPS)}")
    user.lines()
    user.say("NICK " + "n" * 30)
    user.say("USER u 0 * :u")
    user.say("CAP END")
    user.lines()
    user.say("CAP LIST")
    replies = cap_lines(user.lines(), "LIST")
    assert [m.params[2] for m in replies[:-1]] == ["*"] * (len(replies) - 1) and len(replies[-1].params) == 3
    assert sorted(listed(replies)) == sorted(SUPPORTED_CAPS)


def test_a_short_listing_is_one_line() -> None:
    net = Net()
    user = net.connect()
    user.say("CAP LIST")
    assert [m.params for m in cap_lines(user.lines(), "LIST")] == [("*", "LIST", "")]
