"""The order a network's history sorts in (server/shared/network_history.py): a position's text sorts as its
place in the stream, and the BYLEX bounds built from msgids and times take exactly what the query means."""

from __future__ import annotations

import random

from server.log import Entry, Event
from server.log.history import pair_key, pairs_with_nick
from server.shared.network_history import _lower, _upper, network_msgid, position_of, unwritten_of
from server.shared.network_log import _like_regex, _unlike


def in_range(member: str, low: str, high: str) -> bool:
    """Whether ZRANGE BYLEX ``low`` ``high`` takes ``member`` (bounds as Redis reads them)."""
    def above(bound: str) -> bool:
        return bound == "-" or (member >= bound[1:] if bound[0] == "[" else member > bound[1:])

    def below(bound: str) -> bool:
        return bound == "+" or (member <= bound[1:] if bound[0] == "[" else member < bound[1:])

    return above(low) and below(high)


def test_positions_sort_as_the_stream_does() -> None:
    rng = random.Random(19)
    places = [(rng.randrange(10**12, 10**13), rng.randrange(0, 10**6), rng.randrange(0, 500)) for _ in range(2000)]
    places += [(places[0][0], places[0][1], n) for n in range(20)] + [(places[1][0], s, 0) for s in range(20)]
    positions = {place: position_of(network_msgid(f"{place[0]}-{place[1]}", place[2])) for place in places}
    assert all(p is not None for p in positions.values())
    assert sorted(places) == sorted(places, key=lambda place: str(positions[place]))


def test_a_local_msgid_has_no_position() -> None:
    assert position_of("3f9a01bc-17") is None
    assert position_of("1765000000000-3.1x") is None


def test_bounds_take_what_the_query_means() -> None:
    at = network_msgid("1765000000500-7", 1)
    same_ms_before = position_of(network_msgid("1765000000500-7", 0))
    itself = position_of(at)
    same_ms_after = position_of(network_msgid("1765000000500-8", 0))
    later = position_of(network_msgid("1765000000501-0", 0))
    earlier = position_of(network_msgid("1765000000499-3", 2))
    members = {name: f"{p}|[...]" for name, p in [("same_ms_before", same_ms_before), ("itself", itself),
                                                    ("same_ms_after", same_ms_after), ("later", later),
                                                    ("earlier", earlier)]}

    def taken(low: str | None, high: str | None) -> set[str]:
        assert low is not None and high is not None
        return {name for name, member in members.items() if in_range(member, low, high)}

    msgid = ("msgid", at)
    assert taken(_lower(msgid, False), "+") == {"same_ms_after", "later"}
    assert taken(_lower(msgid, True), "+") == {"itself", "same_ms_after", "later"}
    assert taken("-", _upper(msgid)) == {"earlier", "same_ms_before"}
    when = ("time", repr(1765000000.5))  # a client's timestamp=: the millisecond of the server-time tag
    assert taken(_lower(when, False), "+") == {"later"}
    assert taken(_lower(when, True), "+") == {"same_ms_before", "itself", "same_ms_after", "later"}
    assert taken("-", _upper(when)) == {"earlier"}
    assert _lower(("msgid", "3f9a01bc-17"), False) is None


def test_the_conversations_with_whoever_held_a_nick_are_found_by_its_patterns() -> None:
    me = "=ann_1@1765000000000"
    patterns = pairs_with_nick(me, "Bob%")
    assert _unlike(patterns[0].split(" ", 1)[0]) == me
    regexes = [_like_regex(p) for p in patterns]
    held = pair_key(me, "bob%!net/one~ab12cd/w0:3")
    other = pair_key(me, "bobby!net/one~ab12cd/w0:4")
    account = pair_key(me, "=bob%@1765000000001")
    assert [any(r.fullmatch(key) for r in regexes) for key in (held, other, account)] == [True, False, False]


def test_what_a_dead_node_left_unwritten_is_its_users_messages_and_redactions_not_what_others_took_back() -> None:
    def entry(n: int, origin: str, command: str, params: tuple[str, ...]) -> Entry:
        return Entry(n, network_msgid(f"170000000000{n}-0", 0), 1.7e9 + n, Event(command, "x!u@h", params, origin,
                                                                                 ("#c",)))

    said = entry(1, "dead~1/w0:1", "PRIVMSG", ("#c", "kept"))
    taken_back = entry(2, "dead~1/w0:1", "PRIVMSG", ("#c", "taken back by an op"))
    own_redact = entry(3, "dead~1/w0:1", "PRIVMSG", ("#c", "taken back by its author"))
    recent = [
        said, taken_back, own_redact,
        entry(4, "alive~2/w0:1", "PRIVMSG", ("#c", "someone else's")),
        entry(5, "dead~1/w0:1", "JOIN", ("#c",)),  # not history
        entry(6, "alive~2/w0:1", "REDACT", ("#c", taken_back.msgid)),
        entry(7, "dead~1/w0:1", "REDACT", ("#c", own_redact.msgid)),
        entry(8, "dead~10/w0:1", "PRIVMSG", ("#c", "another incarnation")),
    ]
    assert unwritten_of(recent, "dead~1/") == [said, recent[6]]
