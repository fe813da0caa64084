"""The one parser and serialiser: table cases, independent vectors, limits, escaping."""

from __future__ import annotations

import pytest

from server.protocol import (
    BadCharacter,
    InputTooLong,
    InvalidUtf8,
    MalformedMessage,
    Message,
    ProtocolError,
    TagsTooLong,
    escape_tag_value,
    parse_line,
    unescape_tag_value,
    wrap_batch,
)

SIMPLE_CASES = [
    (b"PRIVMSG #a :hello world", Message("PRIVMSG", ("#a", "hello world"))),
    (b":nick!u@h JOIN #chan", Message("JOIN", ("#chan",), "nick!u@h")),
    (b"@time=2020-01-01T00:00:00Z;+x :s NOTICE * :hi", Message("NOTICE", ("*", "hi"), "s",
                                                               {"time": "2020-01-01T00:00:00Z", "+x": ""})),
    (b"PRIVMSG #a :", Message("PRIVMSG", ("#a", ""))),
    (b"PRIVMSG #a ::)", Message("PRIVMSG", ("#a", ":)"))),
    (b"ping token", Message("PING", ("token",))),
    (b"CAP LS 302", Message("CAP", ("LS", "302"))),
    (b"001 me :Welcome", Message("001", ("me", "Welcome"))),
    (b":src   privmsg  #a   b  :c  d", Message("PRIVMSG", ("#a", "b", "c  d"), "src")),
    (b"MODE #a +o  nick ", Message("MODE", ("#a", "+o", "nick"))),
    (b"QUIT  :bye", Message("QUIT", ("bye",))),
    (b"AWAY", Message("AWAY")),
]


@pytest.mark.parametrize(("line", "expected"), SIMPLE_CASES)
def test_parse_simple_cases(line: bytes, expected: Message) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(("line", "expected"), SIMPLE_CASES)
def test_serialise_simple_cases_round_trip(line: bytes, expected: Message) -> None:
    assert parse_line(expected.to_bytes().rstrip(b"\r\n")) == expected


def test_independent_split_vectors() -> None:
    """The irc-parser-tests msg-split vectors, written by others than us."""
    from parser_tests.data import msg_split

    for case in msg_split["tests"]:
        atoms = case["atoms"]
        msg = parse_line(case["input"].encode())
        assert msg.command == atoms["verb"].upper(), case
        assert list(msg.params) == atoms.get("params", []), case
        assert msg.source == atoms.get("source"), case
        assert dict(msg.tags) == (atoms.get("tags") or {}), case


def test_independent_join_vectors() -> None:
    """msg-join vectors: what we write parses back to the atoms, as do the accepted forms."""
    from parser_tests.data import msg_join

    for case in msg_join["tests"]:
        atoms = case["atoms"]
        msg = Message(atoms["verb"], tuple(atoms.get("params", [])), atoms.get("source"), atoms.get("tags") or {})
        assert parse_line(msg.to_line()) == msg, case
        for accepted in case["matches"]:
            assert parse_line(accepted) == msg, case


def test_body_limit_is_512_bytes_with_crlf() -> None:
    ok = b"PRIVMSG #a :" + b"x" * (510 - len(b"PRIVMSG #a :"))
    assert parse_line(ok).params[1] == "x" * (510 - 12)
    with pytest.raises(InputTooLong) as info:
        parse_line(ok + b"y")
    assert info.value.numeric == "417"


def test_a_line_too_long_or_not_utf8_is_told_so_before_its_tags_are_judged() -> None:
    bad_tag = b"@+x/y=1;z$ "
    with pytest.raises(InputTooLong):
        parse_line(bad_tag + b"PRIVMSG #a :" + b"x" * 510)
    with pytest.raises(InvalidUtf8):
        parse_line(bad_tag + b"PRIVMSG #a :\xc3", strict_utf8=True)
    with pytest.raises(MalformedMessage):
        parse_line(bad_tag + b"PRIVMSG #a :ok")


@pytest.mark.parametrize(("line", "command"), [
    (b"metadata * SET k :\xc3", "METADATA"),
    (b"@label=x :nick PRIVMSG #a :\xff", "PRIVMSG"),
    (b"PRIV\xc3MSG #a :hi", "*"),
])
def test_invalid_utf8_names_the_command_it_could_read(line: bytes, command: str) -> None:
    with pytest.raises(InvalidUtf8) as refused:
        parse_line(line, strict_utf8=True)
    assert refused.value.command == command


def test_tags_do_not_count_against_the_body_limit_but_have_their_own() -> None:
    body = b"PRIVMSG #a :" + b"x" * 400
    assert parse_line(b"@+a=" + b"v" * 4000 + b" " + body).params[1] == "x" * 400
    with pytest.raises(TagsTooLong):
        parse_line(b"@+a=" + b"v" * 8200 + b" " + body)


@pytest.mark.parametrize("line", [b"PRIVMSG #a :nul\x00here", b"PRIVMSG #a :cr\rhere"])
def test_control_characters_are_refused(line: bytes) -> None:
    with pytest.raises(BadCharacter):
        parse_line(line)


@pytest.mark.parametrize("line", [b"", b"   ", b":source", b"@tag", b"@a=b ", b"PRIV-MSG x", b"12 x", b"@bad key= CMD"])
def test_malformed_lines(line: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_line(line)


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    msg = parse_line(b"PRIVMSG #a :caf\xe9 \xff")
    assert msg.params[1] == "caf\ufffd \ufffd"


def test_tag_escaping_round_trips() -> None:
    raw = "a;b c\\d\re\nf"
    assert escape_tag_value(raw) == "a\\:b\\sc\\\\d\\re\\nf"
    assert unescape_tag_value(escape_tag_value(raw)) == raw
    assert unescape_tag_value("x\\") == "x"
    assert unescape_tag_value("\\b") == "b"


def test_message_refuses_to_be_built_unsendable() -> None:
    with pytest.raises(BadCharacter):
        Message("PRIVMSG", ("#a", "two\r\nPRIVMSG #b :lines"))
    with pytest.raises(MalformedMessage):
        Message("PRIVMSG", ("has space", "x"))
    with pytest.raises(ProtocolError):
        Message("")


def test_last_param_gets_a_colon_only_when_needed() -> None:
    assert Message("NICK", ("bob",)).to_line() == "NICK bob"
    assert Message("PRIVMSG", ("#a", "hi there")).to_line() == "PRIVMSG #a :hi there"
    assert Message("PRIVMSG", ("#a", "")).to_line() == "PRIVMSG #a :"
    assert Message("PRIVMSG", ("#a", ":)")).to_line() == "PRIVMSG #a ::)"


def test_wrap_batch_tags_the_lines_not_yet_in_a_batch_and_nests_inside_an_outer_one() -> None:
    nested = wrap_batch("in", "draft/multiline", ("#a",), [Message("PRIVMSG", ("#a", "hi"), "n!u@h")], "n!u@h",
                        {"msgid": "m1"}, outer="out")
    lines = [m.to_line() for m in wrap_batch("out", "chathistory", ("#a",), [*nested, Message("PING", ("x",))], "srv")]
    assert lines == [
        ":srv BATCH +out chathistory #a",
        "@batch=out;msgid=m1 :n!u@h BATCH +in draft/multiline #a",
        "@batch=in :n!u@h PRIVMSG #a hi",
        "@batch=out :n!u@h BATCH -in",
        "@batch=out PING x",
        ":srv BATCH -out",
    ]
