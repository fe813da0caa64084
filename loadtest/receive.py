"""What a load-test connection does with each line it receives: count a delivery, or pass the line on.

The load tester's per-line hot path (with the parser and ``payload.read_text``),
kept in one function so that mypyc can compile it as it stands (``make`` does
where a C compiler is present; see ``server/compiled.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from server.protocol import InputTooLong, ProtocolError, parse_parts

from .payload import read_text
from .stats import EXACT_BITS
from .tracker import ReceiverLog

__all__ = ["take_lines"]


def take_lines(lines: list[bytes | InputTooLong], now: int, latency: dict[int, int],
               log: ReceiverLog | None,
               other: Callable[[str, tuple[str, ...], int], None], problems: Counter[str]) -> int:
    """Count the load-test deliveries among ``lines`` (received at ``now``, in ns); returns how many.

    Each delivery's latency goes into ``latency`` (microseconds, rounded to the
    HDR histogram's own precision so the dict stays small), its sender and
    sequence number to ``log``; any other line goes to ``other``.
    """
    exact_bits = EXACT_BITS
    delivered = 0
    for line in lines:
        if not isinstance(line, bytes):  # (an InputTooLong in the line's place)
            problems["line too long"] += 1
            continue
        try:
            command, params, _, _ = parse_parts(line)
        except ProtocolError as exc:
            problems[f"unparsable line ({type(exc).__name__})"] += 1
            continue
        if command == "PRIVMSG" and params:
            sender, seq, sent_ns = read_text(params[-1])
            if sender >= 0:
                delivered += 1
                us = (now - sent_ns) // 1000
                if us >> exact_bits > 0:  # (never for a negative us, which the histogram clamps)
                    drop = us.bit_length() - exact_bits
                    us = us >> drop << drop
                latency[us] = latency.get(us, 0) + 1
                if log is not None:
                    log.record(sender, seq)
                continue
        other(command, params, now)
    return delivered
