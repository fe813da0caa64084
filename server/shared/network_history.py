"""A network's history in Redis: what was said, per target, readable on every node.

Each history entry is written once, by the node whose operation produced it,
into its target's sorted set ``chat:hist:{<key>}`` (a channel's casefolded
name, or the pair key of a private conversation), so a Redis Cluster spreads
targets over its masters. Every member has score 0 and reads
``<position>|<entry as JSON>``, the position being the operation's place in
the stream (``<ms>.<seq>.<n>``, zero-padded): members sort by it, so ranges
of positions and times are lexicographic ranges (ZRANGE BYLEX), and entries
written out of order by several nodes still read back in the network's one
order. Each write trims its set by the retention limits (rank for
``--history-max-per-target``, position for ``--history-days``, which also
expires a set nobody writes to). Each party of a private conversation has
``chat:dms:{<identity>}``: the other party's identity, scored by the time
of their latest message (CHATHISTORY TARGETS).

An event's msgid on a network is ``<ms>-<seq>.<n>``: the ``n``th event of
the operation at stream id ``<ms>-<seq>``, the same on every node.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from server.log import Entry, Event, LogOverrun
from server.log.durable import DurableLog
from server.log.history import HISTORY_COMMANDS, HistoryQuery, history_key, redaction_of

__all__ = ["RECOVER_SCAN", "HistoryWriter", "NetworkHistory", "descending", "history_set", "network_msgid",
           "position_of", "rewrite_history_of", "sort_key", "unwritten_of"]

log = logging.getLogger("chat-server.history")

HISTORY = "chat:hist:{{{}}}"
CONVERSATIONS = "chat:dms:{{{}}}"
PENDING_MAX = 100_000  # history entries kept for Redis while it is out of reach; past that the oldest go
RECOVER_SCAN = 10_000  # the newest entries a node that reaps another looks through for what it left unwritten

_MSGID = re.compile(r"(\d{1,13})-(\d{1,12})\.(\d{1,6})")

# KEYS[1]: a target's history. ARGV: the member, the retention cutoff ('' for none), how long to keep
# the set (ms, 0: for ever), the most entries to keep (0: no limit).
_ADD = """
redis.call('ZADD', KEYS[1], 0, ARGV[1])
if ARGV[2] ~= '' then redis.call('ZREMRANGEBYLEX', KEYS[1], '-', '(' .. ARGV[2]) end
local keep = tonumber(ARGV[3])
if keep > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
local most = tonumber(ARGV[4])
if most > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -most - 1) end
return 1
"""
# KEYS[1]: one party's conversations. ARGV: the other party, the time (ms), how long to keep (ms, 0: for ever).
_CONVERSATION = """
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local keep = tonumber(ARGV[3])
if keep > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
return 1
"""


def history_set(key: str) -> str:
    return HISTORY.format(key)


def network_msgid(op_id: str, n: int) -> str:
    """The msgid of the ``n``th event of the operation at stream id ``op_id`` (``<ms>-<seq>``)."""
    return f"{op_id}.{n}"


def position_of(msgid: str) -> str | None:
    """Where a network msgid sorts in history (``<ms>.<seq>.<n>``, zero-padded); None for any other msgid."""
    found = _MSGID.fullmatch(msgid)
    if found is None:
        return None
    ms, seq, n = found.groups()
    return f"{int(ms):013d}.{int(seq):012d}.{int(n):06d}"


def _time_position(seconds: float) -> str:
    return f"{round(seconds * 1000):013d}"


def _encode(entry: Entry) -> str:
    e = entry.event
    return json.dumps([entry.msgid, e.command, e.source, e.params, e.origin, e.channels, e.target_conn, e.tags,
                       e.account, e.history], separators=(",", ":"))


def _decode(member: str) -> Entry:
    position, _, payload = member.partition("|")
    msgid, command, source, params, origin, channels, target_conn, tags, account, history = json.loads(payload)
    event = Event(command, source, tuple(params), origin, tuple(channels), target_conn, tags, account=account,
                  history=history)
    return Entry(0, msgid, int(position[:13]) / 1000, event)


def _lower(bound: tuple[str, str], inclusive: bool) -> str | None:
    """The BYLEX lower bound of entries after ``bound`` (or at it, if ``inclusive``); None: no such msgid."""
    kind, value = bound
    if kind == "msgid":
        position = position_of(value)
        if position is None:
            return None
        return f"[{position}" if inclusive else f"({position}}}"  # '}' sorts after the '|' that ends a position
    position = _time_position(float(value))
    return f"[{position}" if inclusive else f"({position}/"  # '/' sorts after the '.' inside a position


def _upper(bound: tuple[str, str]) -> str | None:
    """The BYLEX upper bound of entries strictly before ``bound``; None: no such msgid."""
    kind, value = bound
    position = position_of(value) if kind == "msgid" else _time_position(float(value))
    return None if position is None else f"({position}"


class NetworkHistory:
    """Reads the network's history from Redis (see the module's docstring for the keys)."""

    def __init__(self, client: redis.Redis, days: float | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self._redis = client
        self._days = days
        self._clock = clock or time.time

    def _floor(self) -> str:
        """The lower bound retention sets (a set not written to lately may still hold older entries)."""
        return "-" if self._days is None else f"[{_time_position(self._clock() - self._days * 86400)}"

    def _range(self, key: str, low: str, high: str, newest: bool, limit: int, playback: bool = True) -> list[Entry]:
        """Up to ``limit`` entries between two lex bounds, newest or oldest first; without ``playback``, only
        what was said (the set also holds topics and kept TAGMSGs), read on until ``limit`` of those."""
        floor = self._floor()
        if floor != "-" and (low == "-" or low[1:] < floor[1:]):
            low = floor
        if low != "-" and high != "+" and low[1:] > high[1:]:
            return []
        found: list[Entry] = []
        offset = 0
        while len(found) < limit:
            start, stop = (high, low) if newest else (low, high)
            members = cast(list[bytes], self._redis.zrange(history_set(key), start, stop, desc=newest, bylex=True,
                                                           offset=offset, num=limit))
            entries = [_decode(m.decode()) for m in members]
            found += entries if playback else [e for e in entries if e.event.command in HISTORY_COMMANDS]
            if len(members) < limit:
                break
            offset += len(members)
        return found[:limit]

    def _has(self, key: str, msgid: str) -> bool:
        position = position_of(msgid)
        if position is None:
            return False
        return bool(self._redis.zrange(history_set(key), f"[{position}|", f"({position}}}", bylex=True,
                                       offset=0, num=1))

    def query(self, q: HistoryQuery, keys: Sequence[str], before: str | None = None) -> list[Entry]:
        """``q`` over the histories ``keys`` (one, or the conversations its patterns matched), oldest first;
        ``before``: only entries before this position (a join's)."""
        found: list[Entry] = []
        for key in keys:
            found += self._query_one(q, key, before)
        found.sort(key=sort_key)
        if len(keys) > 1 and len(found) > q.limit:  # each key gave its best; keep the query's
            found = found[:q.limit] if q.kind in ("AFTER", "BETWEEN") and not descending(q) else found[-q.limit:]
        return found

    def _query_one(self, q: HistoryQuery, key: str, before: str | None) -> list[Entry]:
        for bound in (q.first, q.second):
            if bound is not None and bound[0] == "msgid" and not self._has(key, bound[1]):
                return []
        high = f"({before}" if before else "+"

        def cap(upper: str | None) -> str:
            if upper is None:
                return high
            return upper if high == "+" or upper[1:] < high[1:] else high

        kind, first, second = q.kind, q.first, q.second
        if kind == "LATEST":
            low = _lower(first, False) if first is not None else "-"
            return self._range(key, low or "-", high, True, q.limit, q.playback)[::-1]
        if first is None:
            return []
        if kind == "BEFORE":
            return self._range(key, "-", cap(_upper(first)), True, q.limit, q.playback)[::-1]
        if kind == "AFTER":
            return self._range(key, _lower(first, False) or "-", high, False, q.limit, q.playback)
        if kind == "AROUND":
            earlier = self._range(key, "-", cap(_upper(first)), True, q.limit // 2, q.playback)[::-1]
            later = self._range(key, _lower(first, True) or "-", high, False, q.limit - len(earlier), q.playback)
            return earlier + later
        if kind == "BETWEEN" and second is not None:
            older, newer = first, second
            if first[0] == second[0] and _bound_value(second) < _bound_value(first):
                older, newer = second, first
            entries = self._range(key, _lower(older, False) or "-", cap(_upper(newer)), descending(q), q.limit,
                                  q.playback)
            return sorted(entries, key=sort_key)
        return []

    def newest(self, keys: Sequence[str]) -> dict[str, str]:
        """The position of the newest entry of each of ``keys`` that has any."""
        if not keys:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.zrange(history_set(key), "+", "-", desc=True, bylex=True, offset=0, num=1)
        return {key: found[0].decode().partition("|")[0]
                for key, found in zip(keys, pipe.execute(), strict=True) if found}

    def oldest(self, keys: Sequence[str]) -> dict[str, str]:
        """The position of the oldest entry Redis still keeps of each of ``keys`` that has any."""
        if not keys:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.zrange(history_set(key), "-", "+", bylex=True, offset=0, num=1)
        return {key: found[0].decode().partition("|")[0]
                for key, found in zip(keys, pipe.execute(), strict=True) if found}

    def oldest_kept(self) -> str:
        """The position before which retention (--history-days) forgets everything ("" if it keeps all)."""
        return self._floor()[1:]

    def targets(self, keys: Sequence[str], after: float, before: float, limit: int) -> list[tuple[str, float]]:
        """(key, time of its latest message) for each of ``keys`` whose latest message is in (after, before)."""
        rows = []
        for key, position in self.newest(keys).items():
            ms = int(position[:13])
            if round(after * 1000) < ms < round(before * 1000):
                rows.append((key, ms / 1000))
        return sorted(rows, key=lambda row: row[1])[:limit]

    def conversations(self, identity: str, after: float, before: float, limit: int) -> list[tuple[str, float]]:
        """(the other party, time of the latest message) of each private conversation of a history identity."""
        low, high = round(after * 1000), round(before * 1000)
        rows = self._redis.zrange(CONVERSATIONS.format(identity), f"({low}", f"({high}", byscore=True,
                                  withscores=True, offset=0, num=limit)
        return [(other.decode(), float(score) / 1000) for other, score in cast(list[tuple[bytes, float]], rows)]

    def partners(self, identity: str) -> list[str]:
        """Everyone ``identity`` has a private history with."""
        others = cast(list[bytes], self._redis.zrange(CONVERSATIONS.format(identity), 0, -1))
        return [other.decode() for other in others]


def descending(q: HistoryQuery) -> bool:
    """Whether a BETWEEN goes from its newer bound back (its limit then keeps the newest)."""
    if q.kind != "BETWEEN" or q.first is None or q.second is None or q.first[0] != q.second[0]:
        return False
    return _bound_value(q.second) < _bound_value(q.first)


def _bound_value(bound: tuple[str, str]) -> str:
    return (position_of(bound[1]) or "") if bound[0] == "msgid" else _time_position(float(bound[1]))


def sort_key(entry: Entry) -> str:
    """Where an entry sorts in the network's order (an entry with a msgid of its own node: by its time)."""
    return position_of(entry.msgid) or _time_position(entry.time)


class HistoryWriter:
    """Writes the history entries of this node's own operations to Redis, sent by the node's applying
    thread right after each read it applied (Replication's ``rider``): one command per channel message."""

    def __init__(self, client: redis.Redis, days: float | None, max_per_target: int | None) -> None:
        self._redis = client
        self._keep_ms = round(days * 86_400_000) if days else 0
        self._most = max_per_target or 0
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str, tuple[Any, ...]]] = []  # (script name, key, args)
        self._shas: dict[str, str] = {}

    def note(self, entries: Sequence[Entry]) -> None:
        """Queue the history writes of entries this node's operation produced (on the applying thread)."""
        writes = []
        for entry in entries:
            writes += self._writes_of(entry)
        if writes:
            with self._lock:
                self._pending += writes
                if len(self._pending) > PENDING_MAX:
                    log.warning("Redis out of reach: %d history entries dropped", len(self._pending) - PENDING_MAX)
                    del self._pending[:-PENDING_MAX]

    def _writes_of(self, entry: Entry) -> list[tuple[str, str, tuple[Any, ...]]]:
        event = entry.event
        position = position_of(entry.msgid)
        if position is None:
            return []
        redaction = redaction_of(event)
        if redaction is not None:
            gone = position_of(redaction[2])
            return [] if gone is None else [("redact", history_set(redaction[0]), (gone,))]
        key = history_key(event)
        if key is None or not (event.channels or event.history):  # a services notice: nobody's history
            return []
        ms = int(position[:13])
        cutoff = f"{ms - self._keep_ms:013d}" if self._keep_ms else ""
        writes: list[tuple[str, str, tuple[Any, ...]]] = [
            ("add", history_set(key), (f"{position}|{_encode(entry)}", cutoff, self._keep_ms, self._most))]
        if not event.channels:
            a, _, b = key.partition(" ")
            writes += [("conversation", CONVERSATIONS.format(a), (b, ms, self._keep_ms)),
                       ("conversation", CONVERSATIONS.format(b), (a, ms, self._keep_ms))]
        return writes

    def waiting(self) -> bool:
        return bool(self._pending)

    def add_to(self, pipe: Any) -> Callable[[list[Any] | None], None]:
        """Add what waits to ``pipe``; returns what to call with their replies (None: the pipeline failed)."""
        if not self._shas:
            try:
                self._load_scripts()
            except redis.RedisError as exc:  # the operations in the pipeline go on; history waits for the next
                log.warning("cannot load the history scripts: %s", exc)
                return lambda replies: None
        with self._lock:
            writes, self._pending = self._pending, []
        for script, key, args in writes:
            if script == "redact":
                pipe.zremrangebylex(key, f"[{args[0]}|", f"({args[0]}}}")
            else:
                pipe.evalsha(self._shas[script], 1, key, *args)

        def settle(replies: list[Any] | None) -> None:
            if replies is None:
                again = writes
            else:
                again = [w for w, r in zip(writes, replies, strict=True) if isinstance(r, Exception)]
                if any(isinstance(r, redis.exceptions.NoScriptError) for r in replies):
                    self._shas.clear()  # Redis lost its scripts (restarted): load them again
                elif again:
                    log.warning("%d history writes failed (%s): dropped", len(again),
                                next(r for r in replies if isinstance(r, Exception)))
                    again = []
            if again:
                with self._lock:
                    self._pending[:0] = again

        return settle

    def _load_scripts(self) -> None:
        self._shas = {"add": str(self._redis.script_load(_ADD)),
                      "conversation": str(self._redis.script_load(_CONVERSATION))}


def unwritten_of(recent: Sequence[Entry], prefix: str) -> list[Entry]:
    """What the users whose connection ids start with ``prefix`` (a dead node's) said among ``recent``
    entries (in log order), and their REDACTs: their node may have applied them without writing them to
    Redis. Written again by whoever reaps that node; adding an entry Redis has changes nothing. Not a
    message someone else redacted later: its REDACT already left Redis and is not written again."""
    redacted = {found[2] for entry in recent if (found := redaction_of(entry.event)) is not None}
    return [entry for entry in recent
            if entry.event.origin.startswith(prefix) and entry.msgid not in redacted
            and (history_key(entry.event) is not None or redaction_of(entry.event) is not None)]


def rewrite_history_of(source: DurableLog, writer: HistoryWriter) -> Callable[[str], None]:
    """What a node does for a node it reaped: write again what that node's users said lately, which it may
    have applied without writing to Redis (killed in between); Redis keeps one copy of each."""

    def rewrite(incarnation: str) -> None:
        scan = RECOVER_SCAN
        while scan:
            try:  # the newest entries memory holds, up to RECOVER_SCAN (fewer just after a start)
                recent = source.read_after(max(0, source.last_seq() - scan), scan)
            except LogOverrun:
                scan //= 2
                continue
            writer.note(unwritten_of(recent, f"{incarnation}/"))
            return

    return rewrite
