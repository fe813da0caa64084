"""A node's log on a network: the events its replica applies, named alike on every node, and history from Redis.

``StampedLog`` is the log a ReplicatedWorld writes to: each event of an
operation gets the msgid and time its place in the stream gives it
(network_history.network_msgid; the time is the stream id's, Redis's
clock), so every node's copy of a message is the same message, and the node
that submitted the operation hands the history entries to Redis.

``NetworkLog`` is the log the node's workers use (SharedLog): appending,
delivery and the node's own store are its DurableLog's; history queries go
to the network's history in Redis, merged with what this node's own store
holds in the query's window (by msgid), so that nothing its node has not
written to Redis yet, or never will (killed first), is missing. Where Redis
is out of reach, the node's own store answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import redis

from server.log import CommitFollower, Entry, Event, LogOverrun
from server.log.durable import DurableLog
from server.log.history import HistoryQuery, history_key, pair_key

from .network_history import HistoryWriter, NetworkHistory, descending, network_msgid, position_of, sort_key

__all__ = ["NetworkLog", "StampedLog"]

log = logging.getLogger("chat-server.history")


class Applying(Protocol):
    """What a StampedLog asks its Replication: the operation being applied, if any, and by whom."""

    current_op: tuple[str, bool] | None

    def applying(self) -> bool: ...


class _NodeLogReads:
    """What both logs read as the node's own DurableLog has it: the entries after a cursor, and the last seq."""

    _source: DurableLog

    def read_after(self, cursor: int, limit: int = 1000) -> list[Entry]:
        return self._source.read_after(cursor, limit)

    def wait_after(self, cursor: int, timeout: float, limit: int = 1000) -> list[Entry]:
        return self._source.wait_after(cursor, timeout, limit)

    def last_seq(self) -> int:
        return self._source.last_seq()


class StampedLog(_NodeLogReads):
    """The MessageLog of a replica: names and times each event by its operation's place in the stream."""

    def __init__(self, source: DurableLog, replication: Applying, writer: HistoryWriter) -> None:
        self._source = source
        self._replication = replication
        self._writer = writer
        self._op = ""
        self._next = 0  # events of the current operation so far (an operation may append several times)

    def append(self, events: Sequence[Event]) -> list[Entry]:
        op = self._replication.current_op if self._replication.applying() else None
        if op is None:  # not from the stream (nothing a replica does): this node's own names
            return self._source.append(events)
        op_id, own = op
        if op_id != self._op:
            self._op, self._next = op_id, 0
        msgids = [network_msgid(op_id, self._next + i) for i in range(len(events))]
        self._next += len(events)
        entries = self._source.append(events, msgids, int(op_id.partition("-")[0]) / 1000)
        if own:
            self._writer.note(entries)
        return entries


class NetworkLog(_NodeLogReads):
    """A node's SharedLog on a network: its DurableLog, with the network's history (see the module)."""

    def __init__(self, source: DurableLog, history: NetworkHistory) -> None:
        self._source = source
        self._history = history

    def __getattr__(self, name: str) -> Any:  # the rest of DurableLog (channel settings, flush, close...)
        return getattr(self._source, name)

    def append(self, events: Sequence[Event]) -> list[Entry]:
        return self._source.append(events)

    def follow(self, after: int, follower: CommitFollower) -> Callable[[], None]:
        return self._source.follow(after, follower)

    def commit_now(self) -> None:
        self._source.commit_now()

    def history(self, query: HistoryQuery) -> list[Entry]:
        try:
            keys = self._keys(query)
            before = self._position_of_seq(query.up_to_seq) if query.up_to_seq else None
            found = self._history.query(query, keys, before)
        except redis.RedisError as exc:
            log.warning("history from this node only (Redis: %s)", exc)
            return self._source.history(query)
        local_query = _by_time(query)
        if local_query is None:
            return found
        # What this node's store holds in the query's window, too: an entry's node writes it to Redis just
        # after applying it, so this node may have delivered it first, or its node died before writing it.
        # Only what Redis trimmed stays out: entries older than the oldest it keeps of their target.
        try:
            oldest = self._history.oldest(keys)
        except redis.RedisError:
            return found
        kept_from = self._history.oldest_kept()
        merged = {entry.msgid: entry for entry in found}
        low, high = _msgid_bounds(query)
        for entry in self._source.history(local_query):
            key = history_key(entry.event)
            place = sort_key(entry)
            if key is not None and place >= oldest.get(key, "") and place >= kept_from and low < place < high:
                merged.setdefault(entry.msgid, entry)
        return _window(sorted(merged.values(), key=sort_key), query)

    def _keys(self, query: HistoryQuery) -> list[str]:
        """The histories a query reads: its key, or the conversations its patterns match."""
        if not query.key_patterns:
            return [query.key]
        identity = _unlike(query.key_patterns[0].split(" ", 1)[0])
        patterns = [_like_regex(pattern) for pattern in query.key_patterns]
        keys = (pair_key(identity, other) for other in self._history.partners(identity))
        return [key for key in keys if any(p.fullmatch(key) for p in patterns)]

    def _position_of_seq(self, seq: int) -> str | None:
        """Where this node's entry ``seq`` (a JOIN, say) is in the network's order."""
        try:
            entries = self._source.wait_after(seq - 1, 5.0, 1)
        except LogOverrun:
            return None
        if not entries or entries[0].seq != seq:
            return None
        return position_of(entries[0].msgid) or sort_key(entries[0])

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]:
        try:
            return self._history.targets(keys, after, before, limit)
        except redis.RedisError as exc:
            log.warning("history targets from this node only (Redis: %s)", exc)
            return self._source.targets(keys, after, before, limit)

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]:
        try:
            return self._history.conversations(nick, after, before, limit)
        except redis.RedisError as exc:
            log.warning("history targets from this node only (Redis: %s)", exc)
            return self._source.conversations(nick, after, before, limit)


def _by_time(query: HistoryQuery) -> HistoryQuery | None:
    """``query`` for this node's store, which knows its entries by its own seqs, not by network msgid: each
    msgid bound becomes its millisecond, widened by one (``_msgid_bounds`` then cuts exactly), with room in
    the limit for entries of those milliseconds. None: a bound the store cannot place (AROUND a msgid, or a
    msgid not the network's)."""
    if not any(bound is not None and bound[0] == "msgid" for bound in (query.first, query.second)):
        return query
    if query.kind == "AROUND":
        return None
    low, _ = _lower_upper(query)
    bounds: dict[str, tuple[str, str] | None] = {}
    for name, bound in (("first", query.first), ("second", query.second)):
        if bound is not None and bound[0] == "msgid":
            position = position_of(bound[1])
            if position is None:
                return None
            widen = -1 if bound is low else 1
            bound = ("time", str((int(position[:13]) + widen) / 1000))
        bounds[name] = bound
    return replace(query, first=bounds["first"], second=bounds["second"], limit=query.limit + 64)


def _lower_upper(query: HistoryQuery) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The bounds of ``query`` as (what its entries come after, what they come before); None: unbounded."""
    if query.kind in ("LATEST", "AFTER"):
        return query.first, None
    if query.kind == "BEFORE":
        return None, query.first
    if query.kind == "BETWEEN":
        return (query.second, query.first) if descending(query) else (query.first, query.second)
    return None, None


def _msgid_bounds(query: HistoryQuery) -> tuple[str, str]:
    """The positions a network msgid bound of ``query`` puts its entries strictly between."""
    low, high = _lower_upper(query)
    low_at = (position_of(low[1]) if low is not None and low[0] == "msgid" else None) or ""
    high_at = (position_of(high[1]) if high is not None and high[0] == "msgid" else None) or "~"
    return low_at, high_at


def _window(entries: list[Entry], query: HistoryQuery) -> list[Entry]:
    """The ``query.limit`` of ``entries`` (in order, all within the query's bounds) that the query answers."""
    limit = query.limit
    if query.kind == "AFTER" or (query.kind == "BETWEEN" and not descending(query)):
        return entries[:limit]
    if query.kind == "AROUND" and query.first is not None:
        at = f"{round(float(query.first[1]) * 1000):013d}"
        earlier = [e for e in entries if sort_key(e) < at]
        earlier = earlier[len(earlier) - limit // 2:] if limit // 2 else []
        return earlier + [e for e in entries if sort_key(e) >= at][:limit - len(earlier)]
    return entries[-limit:]


def _unlike(pattern: str) -> str:
    """A SQL LIKE pattern's text, its escapes ("\\") undone."""
    return re.sub(r"\\(.)", r"\1", pattern)


def _like_regex(pattern: str) -> re.Pattern[str]:
    """A SQL LIKE pattern (escape "\\") as a regular expression."""
    parts = re.findall(r"\\.|%|_|[^\\%_]+", pattern)
    out = []
    for part in parts:
        if part == "%":
            out.append(".*")
        elif part == "_":
            out.append(".")
        else:
            out.append(re.escape(part[1:] if part.startswith("\\") else part))
    return re.compile("".join(out), re.DOTALL)
