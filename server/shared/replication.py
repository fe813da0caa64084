"""The network on Redis: each node's World is a replica, changed only by operations read back in one order.

A node never changes its World directly. An operation (a nick claim, a
JOIN, a PRIVMSG...) is appended to one of the partitions of the network's
stream of operations (partitions.py); every node reads every partition and
applies their operations in one merged order to its replica by the same
rules (the World's own code), so every replica makes the same decisions: of
two nodes claiming one nick, the claim that comes first in that order wins
on every node. The node that submitted an operation waits until its own
replica has applied it and answers its client with that result. A replica
logs the events its operations produce into the node's own log, from which
the node delivers to its own connections; the node that submitted an
operation also writes its history entries to Redis (network_history.py),
right after applying it, where every node reads history.

A node joining a running network starts from the newest snapshot (a
replica's state and the stream id it had applied up to) and reads on from there.
DEVELOPING.md has the whole model and what it costs.
"""

from __future__ import annotations

import functools
import itertools
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Protocol, cast

import redis

from server.accounts.store import OPERATIONS as ACCOUNT_OPERATIONS
from server.accounts.store import AccountStore
from server.accounts.throttle import LoginPolicy
from server.domain.errors import Unavailable
from server.domain.world import OPERATIONS
from server.domain.world_state import ChannelArchive
from server.log import MessageLog
from server.shared.locked import LockedWorld

from .network_throttle import NetworkThrottles, SharedThrottle
from .partitions import OutOfOrder, PartitionedLog, Rider, format_id

__all__ = ["OPERATIONS", "SNAPSHOT", "ReplicatedAccounts", "ReplicatedWorld", "Replication", "Rider"]

log = logging.getLogger("chat-server.replication")

SNAPSHOT = "{chat}:snapshot"

SNAPSHOT_EVERY = 30.0  # seconds between snapshots, while operations arrive
SUBMIT_TIMEOUT = 5.0  # how long a command waits for its operation to come back before it is refused
LOSS_CHECK_EVERY = 1.0
TRIM_AFTER = 2 * SNAPSHOT_EVERY  # a node this far behind the network may find the partitions trimmed past it

# Saves a snapshot unless a newer one is there (ARGV: how long, in ms, a snapshot waits before the partitions
# are trimmed up to it, then the snapshot's fields); returns the id up to which to trim them now ('' for
# none). A replaced snapshot waits as 'pending' until it is that old, so that a node that loaded it, or is
# a moment behind the network, still finds everything after it however soon other nodes save theirs.
_SAVE_SNAPSHOT = """
local function newer(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = redis.call('HGET', KEYS[1], 'id')
if current and not newer(ARGV[3], current) then return false end
local trim = ''
local pending = redis.call('HMGET', KEYS[1], 'pending', 'pending-at')
if pending[1] and now - tonumber(pending[2]) >= tonumber(ARGV[1]) then
  trim, pending = pending[1], {false, false}
end
if current and not pending[1] then
  redis.call('HSET', KEYS[1], 'pending', current, 'pending-at', redis.call('HGET', KEYS[1], 'at') or now)
end
redis.call('HSET', KEYS[1], 'at', now, unpack(ARGV, 2))
return trim
"""


class Replica(Protocol):
    """What a home's replica offers for snapshots."""

    def export_state(self) -> bytes: ...

    def import_state(self, state: bytes) -> None: ...


class Replication:
    """Submits a node's operations to the partitions and applies everyone's, in their merged order, to its replica."""

    def __init__(self, client: redis.Redis, incarnation: str, on_lost: Callable[[str], None],
                 partitions: int | None = None) -> None:
        self._redis = self.client = client
        self.incarnation = incarnation
        self._on_lost = on_lost
        self._homes: dict[str, tuple[type, Replica]] = {}
        self._applying = threading.local()
        self._waiting: dict[int, Future[Any]] = {}
        # Operations waiting to be appended, and whether a thread is appending: that thread takes
        # all that wait in one pipelined round trip (a group commit), so a busy node makes one
        # round trip per batch, not one per command.
        self._pending: list[tuple[int, bytes]] = []
        self._appending = False
        self._append_lock = threading.Lock()
        self._rider_lock = threading.Lock()
        self._requests = itertools.count(1)
        self._partitions = PartitionedLog(client, incarnation, partitions)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replication", daemon=True)
        self._save_snapshot = client.register_script(_SAVE_SNAPSHOT)
        self._snapshot_at = time.monotonic()
        self._checked_at = 0.0
        self._dirty = False
        self._down_since = 0.0
        # While an operation is applied: its stream id, and whether this node submitted it.
        self.current_op: tuple[str, bool] | None = None
        self.rider: Rider | None = None

    # -- the node's side ---------------------------------------------------------

    def add_home(self, home: str, kind: type, replica: Replica) -> None:
        """Replicate ``replica``: its operations are ``kind``'s methods, applied under the name ``home``."""
        self._homes[home] = (kind, replica)

    def start(self) -> None:
        """Load the newest snapshot into every home and apply the stream from there on, until stop()."""
        snapshot = cast(dict[bytes, bytes], self._redis.hgetall(SNAPSHOT))
        if snapshot:
            for home, (_, replica) in self._homes.items():
                state = snapshot.get(f"state:{home}".encode())
                if state is not None:
                    replica.import_state(state)
            self._partitions.resume(snapshot[b"id"].decode(), [int(n) for n in snapshot[b"applied"].split(b",")])
        log.info("joined the network at %s as %s", format_id(self._partitions.merge.applied), self.incarnation)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        self._send_riders()  # the history of what was applied last: one try (a fenced node may have no Redis)

    def applying(self) -> bool:
        """True on the thread that applies operations: an operation calling another runs it in place."""
        return bool(getattr(self._applying, "on", False))

    def submit(self, home: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Append an operation and wait until this node has applied it; its result, or Unavailable."""
        request = next(self._requests)
        future: Future[Any] = Future()
        self._waiting[request] = future
        payload = pickle.dumps((self.incarnation, request, home, name, args, kwargs))
        with self._append_lock:
            self._pending.append((request, payload))
            leader = not self._appending
            self._appending = True
        if leader:
            self._append_pending()
        try:
            return future.result(timeout=SUBMIT_TIMEOUT)
        except FutureTimeout:
            self._waiting.pop(request, None)
            raise Unavailable("the network did not answer in time") from None

    def _append_pending(self) -> None:
        """Append what waits, batch after batch, until nothing does.

        A failed round fails its commands and those that came meanwhile, and ends: Redis out of reach
        gets each command a prompt refusal, not a retry loop.
        """
        while True:
            with self._append_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._appending = False
                    return
            try:
                self._partitions.append([payload for _, payload in batch])
            except redis.RedisError as exc:
                with self._append_lock:
                    failed_batch, self._pending = batch + self._pending, []
                    self._appending = False
                for request, _ in failed_batch:
                    future = self._waiting.pop(request, None)
                    if future is not None:
                        future.set_exception(Unavailable(f"cannot reach Redis: {exc}"))
                return

    # -- the applying thread -------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                self._check_nothing_lost()
                with self._rider_lock:  # the history of what was applied last rides on the next read
                    self._partitions.read(self._stop, self.rider)
            except OutOfOrder as exc:
                self._stop.set()
                self._on_lost(str(exc))
                return
            except redis.RedisError as exc:
                if not self._down_since:
                    self._down_since = time.monotonic()
                    log.warning("lost Redis (%s); retrying", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            except Exception:  # a bug here must not stop the applying thread
                log.exception("reading the partitions failed")
                self._stop.wait(backoff)
                continue
            if self._down_since:
                log.warning("Redis is back after %.1f s", time.monotonic() - self._down_since)
                self._down_since, backoff = 0.0, 0.05
            for stream_id, payload in self._partitions.merge.ready():
                self._apply(format_id(stream_id), payload)
            self._maybe_snapshot()

    def _send_riders(self) -> None:
        """Send the history writes of what was applied, in one round trip: at stop(), and in tests. The
        applying thread sends them in its next read's pipeline.

        Only these: the commands waiting to be appended are their submitters' to send (the applying
        thread leading their appends would apply nothing meanwhile). What a failed round leaves waits
        for the next successful read.
        """
        rider = self.rider
        if rider is None or not rider.waiting():
            return
        with self._rider_lock:  # one round at a time, so that a REDACT's write never overtakes its message's
            try:
                pipe = self._redis.pipeline(transaction=False)
                settle = rider.add_to(pipe)
                try:
                    replies = pipe.execute(raise_on_error=False)
                except redis.RedisError as exc:
                    settle(None)
                    log.warning("history writes wait for Redis: %s", exc)
                    return
                settle(replies)
            except Exception:  # a bug here must not stop the applying thread
                log.exception("sending the history writes failed")

    def _apply(self, entry_id: str, payload: bytes) -> None:
        self._dirty = True
        try:
            origin, request, home, name, args, kwargs = pickle.loads(payload)
            kind, replica = self._homes[home]
        except Exception:
            log.exception("cannot read operation %s: skipped", entry_id)
            return
        future = self._waiting.pop(request, None) if origin == self.incarnation else None
        self._applying.on = True
        self.current_op = (entry_id, origin == self.incarnation)
        try:
            result = getattr(kind, name)(replica, *args, **kwargs)
        except Exception as exc:
            if future is None:
                log.exception("operation %s from %s failed", name, origin)
            else:
                future.set_exception(exc)
        else:
            if future is not None:
                future.set_result(result)
        finally:
            self._applying.on = False
            self.current_op = None

    def _check_nothing_lost(self) -> None:
        """Stop the node if a partition was trimmed past what it has applied: its replica would be wrong."""
        now = time.monotonic()
        if now - self._checked_at < LOSS_CHECK_EVERY:
            return
        self._checked_at = now
        lost = self._partitions.trimmed_past_applied()
        if lost:
            self._stop.set()
            self._on_lost(f"{lost} operations were trimmed before this node applied them")

    def _maybe_snapshot(self) -> None:
        now = time.monotonic()
        if not self._dirty or now - self._snapshot_at < SNAPSHOT_EVERY:
            return
        self._snapshot_at, self._dirty = now, False
        merge = self._partitions.merge
        fields: list[Any] = ["id", format_id(merge.applied), "applied", ",".join(map(str, merge.released))]
        for home, (_, replica) in self._homes.items():
            fields += [f"state:{home}", replica.export_state()]
        try:
            trim = self._save_snapshot(keys=[SNAPSHOT], args=[int(TRIM_AFTER * 1000), *fields])
            if trim:
                self._partitions.trim(trim.decode() if isinstance(trim, bytes) else str(trim))
        except redis.RedisError as exc:
            log.warning("could not save a snapshot: %s", exc)


class ReplicatedWorld(LockedWorld):
    """A World whose operations go through the stream, so that every node's replica applies them alike.

    Its read-only views (WorldState's) answer from this node's replica.
    """

    # A replica's server name is its node's.
    _NOT_STATE = (*LockedWorld._NOT_STATE, "_replication", "server_name", "_run")

    def __init__(self, log_: MessageLog, replication: Replication, archive: ChannelArchive | None = None,
                 server_name: str = "chat.local", registered: Iterable[str] = ()) -> None:
        super().__init__(log_, archive, server_name, registered)
        # The network's saved channel settings come with its snapshot, not from this node's archive.
        self._saved = {}
        # Private history is the network's (server/shared/network_history.py): a connection's history
        # identity must read alike on every node, and its id, which names its node's incarnation, is
        # already unique across nodes and restarts.
        self._run = "net"
        self._replication = replication
        replication.add_home("world", LockedWorld, self)


def replicate_operations(cls: type, kind: type, home: str, operations: Iterable[str]) -> None:
    """Make each of ``operations`` on ``cls`` (a subclass of ``kind`` with a ``_replication``) go
    through the stream; the applying thread runs ``kind``'s own method, as do nested calls on it."""
    for name in operations:
        local = getattr(kind, name)

        def operation(self: Any, *args: Any, _local: Any = local, _name: str = name, **kwargs: Any) -> Any:
            if self._replication.applying():
                return _local(self, *args, **kwargs)
            return self._replication.submit(home, _name, args, kwargs)

        setattr(cls, name, functools.wraps(local)(operation))


replicate_operations(ReplicatedWorld, LockedWorld, "world", OPERATIONS)


class ReplicatedAccounts(NetworkThrottles, AccountStore):
    """An AccountStore whose changes go through the stream, so that every node holds every account.

    Reads stay local; the login and registration throttles count in Redis, for the whole network, with
    no lock held meanwhile (NetworkThrottles).
    """

    def __init__(self, path: Path, replication: Replication, policy: LoginPolicy | None = None) -> None:
        self._replication = replication
        super().__init__(path, policy)
        replication.add_home("accounts", AccountStore, self)

    def configure(self, policy: LoginPolicy) -> None:
        changed = getattr(self, "policy", None) != policy
        super().configure(policy)
        if changed:
            client = self._replication.client
            with self._throttle_lock:
                self._by_address = SharedThrottle(client, "address", policy.failures_per_address, policy.window)
                self._by_account = SharedThrottle(client, "account", policy.failures_per_account, policy.window)
                self._registrations = SharedThrottle(client, "register", policy.registrations,
                                                     policy.register_window)


replicate_operations(ReplicatedAccounts, AccountStore, "accounts", ACCOUNT_OPERATIONS)
