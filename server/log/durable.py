"""DurableLog: the in-memory log, written ahead to SQLite before anyone is sent an entry.

``append`` returns at once with the entries numbered; a writer thread commits
whatever has accumulated in one transaction (group commit) and only then
makes those entries visible to readers, so every entry a client receives is
already in the database (how far towards the platter: the ``fsync`` policy of
HistoryStore; under ``everysec`` the thread that appended usually commits
itself, see ``commit_now``). A follower (the server's delivery, see ``follow``)
is handed each batch by the thread that committed it, right after the commit.
History (CHATHISTORY) is read from SQLite; a JOIN's replay in a busy channel
from memory (``_latest_in_memory``).

A maintenance thread checkpoints the WAL soon after commits (which, under
``everysec``, is also what syncs it) and applies the retention limits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .base import CommitFollower
from .events import ChannelSettings, Entry
from .history import HISTORY_COMMANDS, HistoryQuery, history_key, redaction_of
from .memory import MemoryLog
from .sqlite import HistoryStore

__all__ = ["DurableLog"]

log = logging.getLogger(__name__)

# How many of the newest entries a JOIN's replay looks through before it asks SQLite.
RECENT_SCAN = 2000

# Seconds between checkpoints while commits come in, by fsync policy. Under everysec
# a checkpoint is what fsyncs the WAL, and syncing 20 ms of writes at a time stalls
# the commits it overlaps far less than syncing a second's at once, and keeps the WAL
# short (rooms, pool mode, ext4, 5 interleaved pairs: p99 1.47 -> 1.07 ms, p50 0.46 ->
# 0.34 ms). Under always every commit is synced already; checkpointing more often
# there measured no better.
CHECKPOINT_EVERY = {"always": 1.0, "everysec": 0.02}


class DurableLog(MemoryLog):
    def __init__(self, path: Path, capacity: int = 100_000, clock: Callable[[], float] = time.time,
                 history_days: float | None = None, history_max_per_target: int | None = None,
                 prune_every: float = 60.0, fsync: str = "always", checkpoint_every: float | None = None,
                 network: bool = False) -> None:
        super().__init__(capacity, clock)
        self.store = HistoryStore(path, fsync, network=network)
        self._last = self._visible = self.store.max_seq()
        self._pending: list[Entry] = []
        self._channels: dict[str, ChannelSettings] = {}
        self._retention = (history_days, history_max_per_target)
        self._prune_every = prune_every
        self._checkpoint_every = CHECKPOINT_EVERY[fsync] if checkpoint_every is None else checkpoint_every
        self._committed = threading.Event()  # since the last checkpoint: an idle server sleeps
        self._stopped = False
        self._follower: CommitFollower | None = None
        # Held by whoever commits a batch and hands it on (the writer thread, or
        # a connection's thread in commit_now), so batches stay in log order.
        self._commit_lock = threading.Lock()
        self._commit_inline = fsync == "everysec"
        # Wakes the writer only: appends notify it, so that they do not also wake
        # every reader waiting on _changed for entries that are not yet visible.
        self._work = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="log-writer", daemon=True)
        self._writer.start()
        self._maintainer = threading.Thread(target=self._maintain_loop, name="log-maintainer", daemon=True)
        self._maintainer.start()

    def _published(self, stored: list[Entry]) -> None:
        self._pending.extend(stored)
        self._work.notify()

    def follow(self, after: int, follower: CommitFollower) -> Callable[[], None]:
        """Have whoever commits a batch (the writer thread, or ``commit_now``) hand it to ``follower``.

        Batches come in log order, one call at a time; what was committed after
        ``after`` before this call is handed over first (here, under the lock, so
        that nothing newer can overtake it). Returns what stops it.
        """
        with self._changed:
            if self._visible > after:
                follower(self._slice_after(after, self._visible - after))
            elif after > self._visible:  # appended up to ``after`` but not committed yet: skip those
                follower = _skipping_up_to(after, follower)
            self._follower = follower

        def unfollow() -> None:
            with self._changed:
                if self._follower is follower:
                    self._follower = None

        return unfollow

    def remember_channel(self, key: str, settings: ChannelSettings) -> None:
        """Keep a channel's topic and modes with the next commit."""
        with self._changed:
            self._channels[key] = settings
            self._work.notify()

    def channel_settings(self) -> dict[str, ChannelSettings]:
        return self.store.channel_settings()

    def history(self, query: HistoryQuery) -> list[Entry]:
        if query.up_to_seq:
            with self._changed:  # everything before the bound must be on disk first
                self._changed.wait_for(lambda: self._visible >= query.up_to_seq - 1, 5.0)
                if query.kind == "LATEST" and query.first is None:
                    recent = self._latest_in_memory(query.key, query.up_to_seq, query.limit, query.playback)
                    if recent is not None:
                        return recent
        return self.store.query(query)

    def _latest_in_memory(self, key: str, before_seq: int, limit: int, playback: bool) -> list[Entry] | None:
        """The last ``limit`` history entries of ``key`` before ``before_seq``, from memory (lock held).

        What a JOIN replays: in a busy channel they are among the newest entries,
        and reading them here spares a query that holds the store (and with it
        every commit) while it runs. None when they are not all among the newest
        RECENT_SCAN entries that memory holds: then SQLite, which has everything,
        answers. (The scan holds the log's lock; a busy channel's replay is found
        within a few dozen entries.)
        """
        days, per_target = self._retention
        if per_target:
            limit = min(limit, per_target)
        cutoff = self._clock() - days * 86400 if days is not None else None
        found: list[Entry] = []
        if limit <= 0:
            return found
        redacted: set[str] = set()  # a REDACT is newer than what it redacts: seen first, going backwards
        for scanned, entry in enumerate(reversed(self._entries), 1):
            if scanned > RECENT_SCAN:
                return None
            if entry.event.command == "REDACT":
                redaction = redaction_of(entry.event)
                if redaction is not None and redaction[0] == key:
                    redacted.add(redaction[2])
                continue
            if entry.seq >= before_seq or entry.seq > self._visible or history_key(entry.event) != key:
                continue
            if not playback and entry.event.command not in HISTORY_COMMANDS:
                continue
            if entry.msgid in redacted:
                continue
            if cutoff is not None and entry.time < cutoff:
                break  # older ones are retention's to forget
            found.append(entry)
            if len(found) == limit:
                break
        else:
            return None  # memory ran out first; SQLite may hold older ones
        return found[::-1]

    def targets(self, keys: list[str], after: float, before: float, limit: int) -> list[tuple[str, float]]:
        return self.store.targets(keys, after, before, limit)

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]:
        return self.store.conversations(nick, after, before, limit)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything appended so far is committed (on disk, under fsync always)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._visible >= self._last and not self._channels, timeout)

    def close(self) -> None:
        self.flush()
        self._stopped = True
        self._closing.set()
        self._committed.set()  # wakes the maintainer
        with self._changed:
            self._work.notify()
        self._writer.join(5)
        self._maintainer.join(5)
        self.store.close()

    def commit_now(self) -> None:
        """Commit what is pending in the calling thread, unless another thread is committing.

        A connection calls it once its command's events are appended (after
        its World operation), so that a message is committed and handed to the
        follower without waking the writer thread: one thread handoff fewer.
        The writer thread commits whatever nobody else does. Only under
        ``everysec``, where a commit is a write to the WAL: under ``always`` it
        is an fsync, and the writer's larger batches need fewer of them (rooms
        p50 was 0.1 ms worse with it, fanout 2% slower).
        """
        if not self._commit_inline:
            return
        if (self._pending or self._channels) and self._commit_lock.acquire(blocking=False):
            try:
                self._commit_round()
            finally:
                self._commit_lock.release()

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                self._work.wait_for(lambda: bool(self._pending or self._channels or self._stopped))
                if self._stopped and not self._pending and not self._channels:
                    return
            with self._commit_lock:
                committed = self._commit_round()
            if not committed:
                self._closing.wait(0.5)

    def _commit_round(self) -> bool:
        """Commit everything pending, then hand it to the follower (commit lock held).

        False when the write failed; the entries are pending again.
        """
        with self._changed:
            batch, self._pending = self._pending, []
            channels, self._channels = self._channels, {}
        if not batch and not channels:
            return True
        try:
            self.store.write(batch, channels)
        except Exception:
            log.exception("writing %d entries to %s failed; retrying", len(batch), self.store.path)
            with self._changed:
                self._pending[:0] = batch
                for key, value in channels.items():
                    self._channels.setdefault(key, value)
                self._work.notify()  # the writer may have gone back to sleep meanwhile
            return False
        if not self._committed.is_set():  # setting it again would only take its lock, on every commit
            self._committed.set()
        with self._changed:
            if batch:
                self._visible = batch[-1].seq
            follower = self._follower
            self._changed.notify_all()
        if batch and follower is not None:
            try:
                follower(batch)
            except Exception:  # a delivery bug must not stop commits
                log.exception("handing entries %d..%d to delivery failed", batch[0].seq, batch[-1].seq)
        return True

    def _maintain_loop(self) -> None:
        days, per_target = self._retention
        prunes = days is not None or bool(per_target)
        next_prune = time.monotonic()
        while not self._closing.is_set():
            if self._committed.wait(max(0.0, next_prune - time.monotonic()) if prunes else None):
                self._committed.clear()  # before: a commit from now on asks for the next one
                try:
                    self.store.checkpoint()  # under everysec it is what syncs the WAL
                except Exception:
                    log.exception("checkpointing %s failed; trying again later", self.store.path)
                    self._committed.set()
            if prunes and time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self._prune_every
                try:
                    cutoff = self._clock() - days * 86400 if days is not None else None
                    removed = self.store.prune(cutoff, per_target)
                    if removed:
                        log.info("history retention: pruned %d entries", removed)
                except Exception:
                    log.exception("pruning %s failed; trying again later", self.store.path)
            self._closing.wait(self._checkpoint_every)


def _skipping_up_to(after: int, follower: CommitFollower) -> CommitFollower:
    """``follower``, handed only the entries after ``after``."""

    def follow(batch: list[Entry]) -> None:
        if batch[-1].seq > after:
            follower(batch if batch[0].seq > after else batch[after - batch[0].seq + 1 :])

    return follow
