"""The network's operations, partitioned over several Redis streams and merged back into one order.

A single stream would put every operation on one master of a Redis Cluster.
On a Cluster each node instead appends its operations to one of
``CLUSTER_PARTITIONS`` streams, each under its own hash tag, which the
Cluster spreads over its masters (on one Redis there is one partition, a
plain stream whose own order is the order); and every node reads every
partition and applies their entries merged by stream id. That merge is the
same on every node, so every replica still applies one
order, if a node applies an entry only once no partition can still receive an
entry with a smaller id. A partition tells that by its clock: the read script
returns the partition's entries and its master's time in one atomic step, and
an entry appended after it is stamped no earlier than that time (the append
script never stamps below the master's clock), so a partition is complete up
to the later of its last entry and that time (``Merge``).

Ids are stamped to the microsecond: a stream id is ``<ms>-<seq>``, and the
append script gives microsecond ``u`` of a millisecond the sequence numbers
from ``u * <partitions> * PER_MICROSECOND``, so an entry waits for the other
partitions' clocks to pass its microsecond, not its millisecond (on one
Redis, the read that finds it releases it). It also makes ids unique across partitions
(partition ``p`` uses only sequence numbers ``p`` modulo their number, so an
entry's msgid names one operation network-wide) and stamps an operation after
everything its node had applied when it was submitted.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, cast

import redis
from redis.cluster import RedisCluster
from redis.crc import REDIS_CLUSTER_HASH_SLOTS as SLOTS
from redis.crc import key_slot

__all__ = ["CLUSTER_PARTITIONS", "MAX_SEQ", "PARTITION_KEYS", "PER_MICROSECOND", "Merge", "OutOfOrder",
           "PartitionedLog", "Rider", "StreamId", "format_id", "parse_id", "partition_key"]

CLUSTER_PARTITIONS = 6  # 2 per master on 3 masters, 3 on 2, 1 on 6
MAX_SEQ = 2**64 - 1
PER_MICROSECOND = 1024  # ids a partition has for each microsecond before it stamps into the next
READ_BATCH = 512
TIME_WAIT = 0.0001  # what was read waits for every partition's clock to pass it
QUIET_WAIT = 0.02  # the longest a node on a Redis Cluster waits between reads while nothing happens

StreamId = tuple[int, int]


def partition_key(p: int) -> str:
    """Partition ``p``'s stream. Its hash tag hashes near the middle of the ``p``th of CLUSTER_PARTITIONS
    equal parts of a Cluster's slots, so the partitions spread evenly over masters that hold even ranges
    of slots (as ``redis-cli --cluster create`` gives them)."""
    middle = (2 * p + 1) * SLOTS // (2 * CLUSTER_PARTITIONS)
    tags = (f"p{p}.{n}" for n in itertools.count())
    return f"chat:ops:{{{next(tag for tag in tags if abs(key_slot(tag.encode()) - middle) < 64)}}}"


PARTITION_KEYS = tuple(partition_key(p) for p in range(CLUSTER_PARTITIONS))  # all a network may use

# KEYS[1]: the partition; KEYS[2] (optional): this batch's name, under the partition's hash tag; ARGV: its
# index, the number of partitions, the id its node had applied up to (as ms and seq, seq -1 for none of that
# millisecond), and the operations. Returns the last id appended. A batch named as one already appended is
# not appended again: redis-py's cluster client sends a command again after a timeout, when the master may
# have run it and only answered late.
APPEND = """
local done = KEYS[2] and redis.call('GET', KEYS[2])
if done then return done end
local p, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local function above(ms, seq, floor_ms, floor_seq)
  if ms < floor_ms or (ms == floor_ms and seq <= floor_seq) then ms, seq = floor_ms, floor_seq + 1 end
  return ms, seq + ((p - seq) % count)
end
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = (tonumber(t[2]) % 1000) * count * tonumber(ARGV[5])
ms, seq = above(ms, seq, tonumber(ARGV[3]), tonumber(ARGV[4]))
local id
for i = 6, #ARGV do
  id = string.format('%d-%d', ms, seq)
  if redis.pcall('XADD', KEYS[1], id, 'op', ARGV[i])['err'] then
    local top = redis.call('XINFO', 'STREAM', KEYS[1])  -- stamped at or below the top: go above it
    for k = 1, #top, 2 do
      if top[k] == 'last-generated-id' then
        local m, q = string.match(top[k + 1], '^(%d+)-(%d+)$')
        ms, seq = above(ms, seq, tonumber(m), tonumber(q))
      end
    end
    id = string.format('%d-%d', ms, seq)
    redis.call('XADD', KEYS[1], id, 'op', ARGV[i])
  end
  ms, seq = above(ms, seq, ms, seq)
end
if KEYS[2] then redis.call('SET', KEYS[2], id, 'PX', 60000) end
return id
"""

# KEYS: partitions; ARGV: the id to read each after, then how many entries at most. Returns the
# master's time (ms, and microseconds within it) and the partitions that have anything new, with it.
READ = """
local t = redis.call('TIME')
local n = #KEYS
local args = {'COUNT', ARGV[n + 1], 'STREAMS'}
for i = 1, n do args[i + 3] = KEYS[i]; args[n + i + 3] = ARGV[i] end
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), tonumber(t[2]) % 1000,
        redis.call('XREAD', unpack(args))}
"""


def parse_id(text: str | bytes) -> StreamId:
    ms, _, seq = (text.decode() if isinstance(text, bytes) else text).partition("-")
    return int(ms), int(seq or 0)


def format_id(stream_id: StreamId) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


class OutOfOrder(Exception):
    """An entry came after the merge had released its place: a master's clock went back. This node's
    replica may no longer be the others'."""


class Merge:
    """Entries read from the partitions, released in one order once no partition can precede them.

    Sans-I/O: the caller reads, hands each partition's entries here with its master's clock, and
    applies what ``ready`` yields.
    """

    def __init__(self, partitions: int, applied: StreamId = (0, 0), released: Sequence[int] = ()) -> None:
        self.applied = applied  # every entry of every partition up to here has been released
        self.released = list(released) or [0] * partitions  # how many entries of each partition, ever
        self.read = [applied] * partitions  # the last id read of each partition
        self._complete = [applied] * partitions
        self._waiting: list[tuple[StreamId, int, bytes]] = []

    def add(self, p: int, entries: Sequence[tuple[StreamId, bytes]], clock: StreamId, full: bool) -> None:
        """Partition ``p``'s entries after ``read[p]``, read when its master's clock stood at ``clock`` (the
        smallest id anything appended later gets); ``full``: the read stopped at its count, so more may
        follow at once."""
        for stream_id, op in entries:
            if stream_id <= self.applied:
                raise OutOfOrder(f"partition {p} got {format_id(stream_id)} after {format_id(self.applied)} went")
            heapq.heappush(self._waiting, (stream_id, p, op))
        if entries:
            self.read[p] = entries[-1][0]
        before_clock = (clock[0], clock[1] - 1) if clock[1] else (clock[0] - 1, MAX_SEQ)
        complete = self.read[p] if full else max(self.read[p], before_clock)
        self._complete[p] = max(self._complete[p], complete)

    def ready(self) -> Iterator[tuple[StreamId, bytes]]:
        """The entries no partition can precede any more, in order."""
        bound = min(self._complete)
        while self._waiting and self._waiting[0][0] <= bound:
            stream_id, p, op = heapq.heappop(self._waiting)
            self.released[p] += 1
            yield stream_id, op
        self.applied = max(self.applied, bound)

    def waiting(self) -> bool:
        return bool(self._waiting)


def _with_rider(pipe: Any, rider: Rider | None, add: Callable[[Any], None]) -> list[Any]:
    """Execute ``pipe`` with ``rider``'s writes first, then what ``add`` adds; the replies to the latter.
    A Redis error is raised once the writes' failure is settled."""
    settle = rider.add_to(pipe) if rider is not None else None
    written = len(pipe)
    add(pipe)
    try:
        replies = pipe.execute(raise_on_error=False)
    except redis.RedisError:
        if settle is not None:
            settle(None)
        raise
    if settle is not None:
        settle(replies[:written])
    return cast(list[Any], replies[written:])


def read_replies(reply: Any, step: int) -> tuple[StreamId, dict[bytes, list[tuple[StreamId, bytes]]]]:
    """The READ script's reply: the smallest id an entry appended later can have (microseconds being
    ``step`` sequence numbers apart), and the new entries (id, operation) of each partition that has any."""
    ms, microseconds, *streams = reply
    found = {}
    for key, entries in (streams[0] if streams and streams[0] else ()):
        found[key] = [(parse_id(entry_id), _op(fields)) for entry_id, fields in entries]
    return (int(ms), int(microseconds) * step), found


def _op(fields: list[bytes]) -> bytes:
    pairs = dict(zip(fields[::2], fields[1::2], strict=True))
    return pairs.get(b"op", b"")


class Rider(Protocol):
    """Writes a node sends with its next read (the history of what its operations did)."""

    def waiting(self) -> bool: ...

    def add_to(self, pipe: Any) -> Callable[[list[Any] | None], None]:
        """Add the commands to ``pipe``; returns what takes their replies (None: the pipeline failed)."""
        ...


class PartitionedLog:
    """A node's appends to the partitions, and its reads of them into a Merge, on one Redis or a Cluster."""

    def __init__(self, client: redis.Redis, incarnation: str, partitions: int | None = None) -> None:
        self._redis = client
        self._cluster = isinstance(client, RedisCluster)
        self.count = partitions or (CLUSTER_PARTITIONS if self._cluster else 1)
        self.keys = PARTITION_KEYS[:self.count]
        self._step = self.count * PER_MICROSECOND
        self.merge = Merge(self.count)
        self._batches = itertools.count(zlib.crc32(incarnation.encode()))  # each batch to the next partition
        self._append = client.register_script(APPEND)
        self._incarnation = incarnation
        self._appends = itertools.count()
        self._read = client.register_script(READ)
        self._found = True  # the last read found something
        self._appended = threading.Event()  # this node appended something: a pausing read goes on
        self._quiet = 0.0  # how long a node on a Cluster waits before its next read, while nothing happens

    def resume(self, applied: str, released: Sequence[int]) -> None:
        """Go on from a snapshot: every partition applied up to ``applied``, ``released`` entries of each."""
        self.merge = Merge(self.count, parse_id(applied), released if len(released) == self.count else ())

    def append(self, operations: Sequence[bytes]) -> None:
        """Append ``operations`` in this order to the next partition, after all this node has applied.

        A single partition needs no stamps: its own order is the order, so plain XADDs do.
        """
        if self.count == 1:
            pipe = self._redis.pipeline(transaction=False)
            for operation in operations:
                pipe.xadd(self.keys[0], {b"op": operation})
            failed = [reply for reply in pipe.execute(raise_on_error=False) if isinstance(reply, Exception)]
            if failed:
                raise failed[0]
            return
        p = next(self._batches) % self.count
        ms, seq = self.merge.applied
        after = (ms + 1, -1) if seq == MAX_SEQ else (ms, seq)
        batch = f"{self.keys[p]}:batch:{self._incarnation}:{next(self._appends)}"
        self._append(keys=[self.keys[p], batch], args=[p, self.count, *after, PER_MICROSECOND, *operations])
        self._appended.set()

    def read(self, stop: threading.Event, rider: Rider | None = None) -> None:
        """Read what is new in every partition into the merge, with ``rider``'s writes ahead in the same
        pipeline (a Redis error is raised after their failure is settled).

        What was read and waits only for the partitions' clocks waits a moment. A node that found
        nothing and has nothing to write waits for something new: on one Redis in the same round trip
        (a blocking XREAD of every partition behind the writes); on a Cluster, whose partitions no one
        command may span, by pausing, a little longer each time, unless this node appends meanwhile.
        On a Cluster, redis-py sends the pipeline to each master its commands go to, at once.
        """
        merge = self.merge
        riding = rider is not None and rider.waiting()
        if self.count == 1:
            self._read_one(rider if riding else None)
            return
        if not self._found and merge.waiting() and not riding:
            stop.wait(TIME_WAIT)
        quiet = not self._found and not merge.waiting() and not riding
        self._quiet = min(max(self._quiet * 2, 0.001), QUIET_WAIT) if quiet else 0.0
        cursors = [format_id(stream_id) for stream_id in merge.read]
        if self._cluster and self._quiet:
            self._appended.wait(self._quiet)
        self._appended.clear()

        def add(pipe: Any) -> None:
            if self._cluster:
                for p, key in enumerate(self.keys):
                    pipe.evalsha(self._read.sha, 1, key, cursors[p], READ_BATCH)
                return
            if quiet:  # behind the writes: they go at once
                pipe.xread(dict(zip(self.keys, cursors, strict=True)), count=1, block=1000)
            pipe.evalsha(self._read.sha, self.count, *self.keys, *cursors, READ_BATCH)

        replies = _with_rider(self._redis.pipeline(transaction=False), rider if riding else None, add)
        if any(isinstance(reply, redis.exceptions.NoScriptError) for reply in replies):
            self._redis.script_load(READ)  # Redis lost its scripts (restarted)
            return
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        reads = [(reply, (p,)) for p, reply in enumerate(replies)] if self._cluster \
            else [(replies[-1], range(self.count))]
        self._found = False
        for reply, partitions in reads:
            clock, found = read_replies(reply, self._step)
            for p in partitions:
                entries = found.get(self.keys[p].encode(), [])
                merge.add(p, entries, clock, full=len(entries) >= READ_BATCH)
                self._found = self._found or bool(entries)

    def _read_one(self, rider: Rider | None) -> None:
        """A single partition's reads: a blocking XREAD, complete up to what it returns."""
        key, cursor = self.keys[0], format_id(self.merge.read[0])
        reply = _with_rider(self._redis.pipeline(transaction=False), rider,
                            lambda pipe: pipe.xread({key: cursor}, count=READ_BATCH, block=1000))[-1]
        if isinstance(reply, Exception):
            raise reply
        entries = [(parse_id(entry_id), fields.get(b"op", b"")) for _, stream in reply or ()
                   for entry_id, fields in stream]
        self.merge.add(0, entries, (0, 0), full=True)

    def trimmed_past_applied(self) -> int:
        """How many operations a partition lost to trimming before this node applied them (0: none)."""
        pipe = self._redis.pipeline(transaction=False)
        for key in self.keys:
            pipe.xinfo_stream(key)
        for info, released in zip(pipe.execute(raise_on_error=False), self.merge.released, strict=True):
            if isinstance(info, redis.ResponseError):  # no such partition yet
                continue
            if isinstance(info, Exception):
                raise info
            trimmed = int(info["entries-added"]) - int(info["length"])  # a stream is only ever trimmed oldest first
            if trimmed > released:
                return trimmed - released
        return 0

    def trim(self, up_to: str) -> None:
        """Forget every partition's operations before ``up_to`` (a snapshot's id)."""
        pipe = self._redis.pipeline(transaction=False)
        for key in self.keys:
            pipe.xtrim(key, minid=up_to)
        pipe.execute()
