"""LIST's search terms (ISUPPORT ELIST=CMNTU): masks, negated masks, user counts, creation and topic times."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

from server.protocol import casefold

from ..model import ChannelView

__all__ = ["ELIST", "parse_list_filter"]

ELIST = "CMNTU"

ChannelTest = Callable[[ChannelView], bool]


def _number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _term(term: str, now: float) -> ChannelTest:
    """One search term; raises ValueError for one that is not understood."""
    if term[:1] in "<>":  # U: fewer (<) or more (>) users than
        count = _number(term[1:])
        return (lambda c: c.size < count) if term[0] == "<" else (lambda c: c.size > count)
    if term[:1] in "CT" and term[1:2] in ("<", ">"):  # C, T: created / topic set less (<) or more (>) minutes ago
        minutes = _number(term[2:])
        less = term[1] == "<"

        def age(channel: ChannelView) -> float:
            return (now - (channel.created if term[0] == "C" else channel.topic_time)) / 60

        if term[0] == "T":
            return lambda c: bool(c.topic_time) and (age(c) < minutes if less else age(c) > minutes)
        return (lambda c: age(c) < minutes) if less else (lambda c: age(c) > minutes)
    negate = term.startswith("!")  # N: not matching
    pattern = casefold(term[1:] if negate else term).replace("[", "[[]")
    if negate:
        return lambda c: not fnmatchcase(casefold(c.name), pattern)
    return lambda c: fnmatchcase(casefold(c.name), pattern)  # M (and a plain channel name)


def parse_list_filter(text: str, now: float) -> ChannelTest | None:
    """The test a channel must pass for ``LIST <terms>`` (comma-separated, all must hold); None: list all."""
    terms = [t for t in text.split(",") if t]
    if not terms:
        return None
    tests = [_term(t, now) for t in terms]
    return lambda channel: all(test(channel) for test in tests)
