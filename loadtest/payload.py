"""The text a load-test message carries: sender, sequence number and send time."""

from __future__ import annotations

from typing import Final

__all__ = ["MAGIC", "NOT_A_STAMP", "Stamp", "make_text", "read_text"]

# Every load-test message starts with this word, so stray chat is never counted.
MAGIC: Final = "LT1"
_HEAD: Final = MAGIC + " "
_START: Final = len(_HEAD)


# What a delivered message says about itself: (sender, seq, sent_ns). A plain
# tuple, and no Optional: compiled, a fixed tuple of ints is returned in
# registers, where a NamedTuple or an Optional is an object on the heap.
Stamp = tuple[int, int, int]
# What read_text returns for any other text (no sender is negative).
NOT_A_STAMP: Final[Stamp] = (-1, -1, 0)


def make_text(sender: int, seq: int, sent_ns: int, pad: int = 0) -> str:
    """The message text: ``LT1 <sender> <seq> <monotonic ns> [padding]``."""
    text = f"{MAGIC} {sender} {seq} {sent_ns}"
    if pad > 0:
        text += " " + "x" * pad
    return text


def _number(text: str, start: int, end: int) -> int:
    """The decimal number text[start:end] (digits only); -1 when it is not one.

    Compiled, ord(text[i]) reads the character in place, a few nanoseconds a
    digit, where slicing and int() cost about 70 a number: the better choice
    for the short sender and sequence numbers, not for the send time.
    """
    if start >= end:
        return -1
    value = 0
    for i in range(start, end):
        digit = ord(text[i]) - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


def read_text(text: str) -> Stamp:
    """Read a message text back; NOT_A_STAMP when it is not a well-formed load-test message."""
    if not text.startswith(_HEAD):
        return NOT_A_STAMP
    a = text.find(" ", _START)
    b = text.find(" ", a + 1) if a >= 0 else -1
    if b < 0:
        return NOT_A_STAMP
    c = text.find(" ", b + 1)
    sender, seq = _number(text, _START, a), _number(text, a + 1, b)
    if sender < 0 or seq < 0:
        return NOT_A_STAMP
    try:
        sent_ns = int(text[b + 1:]) if c < 0 else int(text[b + 1:c])
    except ValueError:
        return NOT_A_STAMP
    return sender, seq, sent_ns
