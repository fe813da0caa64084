"""LineBuffer: lines out of a byte stream, however it is chunked."""

from __future__ import annotations

import pytest

from server.protocol import BadCharacter, InputTooLong, LineBuffer, parse_line

STREAM = b"NICK a\r\nUSER a 0 * :A\nPING x\r\n\r\nPRIVMSG #c :hi\r\n"
LINES = [b"NICK a", b"USER a 0 * :A", b"PING x", b"PRIVMSG #c :hi"]


def feed_in_chunks(data: bytes, size: int) -> list[bytes | InputTooLong]:
    buf = LineBuffer()
    out: list[bytes | InputTooLong] = []
    for i in range(0, len(data), size):
        buf.feed(data[i : i + size])
        out.extend(buf.lines())
    return out


def test_whole_byte_by_byte_and_with_trailing_data() -> None:
    assert feed_in_chunks(STREAM, len(STREAM)) == LINES
    assert feed_in_chunks(STREAM, 1) == LINES
    assert feed_in_chunks(STREAM, 7) == LINES
    assert feed_in_chunks(STREAM + b"PART #c", 1) == LINES  # the half line waits


def test_only_lf_ends_a_line_and_a_lone_cr_stays_for_the_parser_to_refuse() -> None:
    buf = LineBuffer()
    buf.feed(b"PRIVMSG #a :x\rQUIT\r\nPING a\r")
    assert buf.lines() == [b"PRIVMSG #a :x\rQUIT"]
    with pytest.raises(BadCharacter):
        parse_line(b"PRIVMSG #a :x\rQUIT")
    buf.feed(b"\n")  # a CRLF split across two reads is still one line end
    assert buf.lines() == [b"PING a"]


def test_overlong_line_is_reported_once_and_dropped_then_framing_recovers() -> None:
    buf = LineBuffer(max_line=100)
    buf.feed(b"x" * 250)
    first = buf.lines()
    assert len(first) == 1 and isinstance(first[0], InputTooLong)
    buf.feed(b"y" * 300)
    assert buf.lines() == []  # still the same over-long line: reported only once
    buf.feed(b"tail\r\nPING ok\r\n")
    assert buf.lines() == [b"PING ok"]
    assert len(buf) == 0


def test_overlong_complete_line_in_one_chunk() -> None:
    buf = LineBuffer(max_line=10)
    buf.feed(b"x" * 20 + b"\nPING a\n")
    out = buf.lines()
    assert isinstance(out[0], InputTooLong) and out[1:] == [b"PING a"]


def test_memory_stays_bounded_under_garbage_without_newlines() -> None:
    buf = LineBuffer(max_line=1000)
    for _ in range(1000):
        buf.feed(b"z" * 500)
        buf.lines()
        assert len(buf) <= 1500
