"""Hypothesis: any bytes give a Message or a ProtocolError; valid messages round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.protocol import LineBuffer, Message, ProtocolError, parse_line, parse_parts
from server.protocol.errors import BadCharacter, InputTooLong


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=1200))
def test_arbitrary_bytes_parse_or_raise_protocol_error(data: bytes) -> None:
    try:
        msg = parse_line(data)
    except ProtocolError:
        return
    assert isinstance(msg, Message)
    assert "\r" not in msg.to_line() and "\n" not in msg.to_line() and "\x00" not in msg.to_line()
    # The parser skips Message validation; what it builds must pass it.
    assert Message(msg.command, msg.params, msg.source, msg.tags) == msg


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=600),
                 st.lists(st.sampled_from([b"@a=b;+c", b":nick!u@h", b"PRIVMSG", b"001", b"#c", b":", b":x y",
                                           b"", b" ", b"a:b", b"\xff", b"\x00"]), max_size=8).map(b" ".join)))
def test_parse_parts_is_parse_line_without_the_message(data: bytes) -> None:
    try:
        msg = parse_line(data)
    except ProtocolError as exc:
        try:
            parse_parts(data)
        except ProtocolError as again:
            assert type(again) is type(exc)
            return
        raise AssertionError("parse_parts took a line parse_line refused") from None
    assert parse_parts(data) == (msg.command, msg.params, msg.source, dict(msg.tags))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_framer_never_yields_line_endings_and_stays_bounded(chunks: list[bytes]) -> None:
    buf = LineBuffer(max_line=600)
    for chunk in chunks:
        buf.feed(chunk)
        for item in buf.lines():
            if isinstance(item, InputTooLong):
                continue
            assert item and b"\n" not in item
            if b"\r" in item:  # a lone CR reaches nobody: the parser refuses its line
                with pytest.raises(BadCharacter):
                    parse_line(item)
        assert len(buf) <= 600 + 300


_word = st.text(st.characters(blacklist_characters="\x00\r\n :", blacklist_categories=("Cs",)), min_size=1,
                max_size=20)
_trailing = st.text(st.characters(blacklist_characters="\x00\r\n", blacklist_categories=("Cs",)), max_size=80)
_tag_key = st.from_regex(r"\A\+?[a-z][a-z0-9-]{0,10}\Z")


@settings(max_examples=500, deadline=None)
@given(
    command=st.from_regex(r"\A([A-Z]{1,10}|[0-9]{3})\Z"),
    middle=st.lists(_word, max_size=5),
    trailing=st.one_of(st.none(), _trailing),
    source=st.one_of(st.none(), _word),
    tags=st.dictionaries(_tag_key, _trailing, max_size=4),
)
def test_valid_messages_round_trip(command: str, middle: list[str], trailing: str | None, source: str | None,
                                   tags: dict[str, str]) -> None:
    params = tuple(middle) + ((trailing,) if trailing is not None else ())
    msg = Message(command, params, source, tags)
    assert parse_line(msg.to_bytes()[:-2]) == msg
