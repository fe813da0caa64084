"""The text a load-test message carries: sender, sequence number and send time."""

from __future__ import annotations

__all__ = ["MAGIC", "Stamp", "make_text", "read_text"]

# Every load-test message starts with this word, so stray chat is never counted.
MAGIC = "LT1"


# What a delivered message says about itself: (sender, seq, sent_ns). A plain
# tuple: building a NamedTuple costs more than the rest of reading the text.
Stamp = tuple[int, int, int]


def make_text(sender: int, seq: int, sent_ns: int, pad: int = 0) -> str:
    """The message text: ``LT1 <sender> <seq> <monotonic ns> [padding]``."""
    text = f"{MAGIC} {sender} {seq} {sent_ns}"
    if pad > 0:
        text += " " + "x" * pad
    return text


def read_text(text: str) -> Stamp | None:
    """Read a message text back; None when it is not a well-formed load-test message."""
    parts = text.split(" ", 4)
    if len(parts) < 4 or parts[0] != MAGIC:
        return None
    try:
        sender, seq, sent_ns = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None
    if sender < 0 or seq < 0:  # (a sequence number indexes the tracker's table)
        return None
    return sender, seq, sent_ns
