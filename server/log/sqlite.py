"""HistoryStore: the log's entries and the channels' settings in SQLite (WAL mode)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from .events import ChannelSettings, Entry, Event, msgid_seq
from .history import HISTORY_COMMANDS, HistoryQuery, history_key, redaction_of

__all__ = ["FSYNC_POLICIES", "HistoryStore"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    msgid TEXT NOT NULL,
    time REAL NOT NULL,
    key TEXT,
    command TEXT NOT NULL,
    source TEXT NOT NULL,
    params TEXT NOT NULL,
    origin TEXT NOT NULL,
    channels TEXT NOT NULL,
    target_conn TEXT NOT NULL,
    tags TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT ''  -- the sender's account (account-tag in history), '' if none
);
CREATE INDEX IF NOT EXISTS entries_by_key ON entries (key, seq) WHERE key IS NOT NULL;
-- A msgid names its entry's seq (events.make_msgid), so no index of msgids is kept:
-- it cost a WAL page per commit. Databases from before drop theirs.
DROP INDEX IF EXISTS entries_by_msgid;
CREATE TABLE IF NOT EXISTS channels (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    topic_by TEXT NOT NULL DEFAULT '',
    topic_time REAL NOT NULL DEFAULT 0,
    modes TEXT NOT NULL DEFAULT 'nt',
    chan_key TEXT NOT NULL DEFAULT '',
    chan_limit INTEGER NOT NULL DEFAULT 0
);
"""


DELETE_BY_TIME = "DELETE FROM entries WHERE key = ? AND round(time * 1000) = ? AND msgid = ?"

_NETWORK_MSGID = re.compile(r"(\d{1,13})-\d{1,12}\.\d{1,6}")  # server/shared/network_history.network_msgid


def network_msgid_ms(msgid: str) -> int | None:
    """The millisecond of the entry a network's msgid (``<ms>-<seq>.<n>``) names; None for any other msgid."""
    found = _NETWORK_MSGID.fullmatch(msgid)
    return None if found is None else int(found.group(1))


_NETWORK_INDEX = ("CREATE INDEX IF NOT EXISTS entries_by_ms ON entries (key, round(time * 1000))"
                  " WHERE key IS NOT NULL")

# How a commit reaches the disk (chat-server --fsync):
#   always    every commit waits for fsync of the WAL: nothing acknowledged is lost,
#             even to a power cut or a kernel crash.
#   everysec  a commit is written to the WAL (the kernel has it: a crash or kill -9 of
#             the server loses nothing) and checkpoint() syncs it soon after (DurableLog
#             runs one within about 20 ms): a power cut may lose what it had not synced.
FSYNC_POLICIES = {"always": "FULL", "everysec": "NORMAL"}

# A checkpoint that commits overtake leaves the WAL never empty, so under steady load
# it would never start over: past this many frames (pages of 4 KiB) the checkpoint
# finishes with commits held off. The file is cut back to WAL_KEEP_BYTES when it does.
WAL_RESTART_FRAMES = 20_000
WAL_KEEP_BYTES = 128 << 20


class HistoryStore:
    """One SQLite database; every method is safe to call from any thread (one lock).

    Commits never run a checkpoint themselves (SQLite's automatic one would, and it
    fsyncs the database file inside whichever commit crosses the threshold): the
    owner calls ``checkpoint`` from a thread of its own, on a second connection.
    """

    def __init__(self, path: Path, fsync: str = "always", wal_restart_frames: int = WAL_RESTART_FRAMES,
                 network: bool = False) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fsync = fsync
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={FSYNC_POLICIES[fsync]}")
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._db.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
        self._wal_restart_frames = wal_restart_frames
        self._db.executescript(SCHEMA)
        # A network's msgids name no seq here but carry their millisecond: a REDACT finds its entry by it,
        # through an index on an expression no history query uses (so their plans stay on entries_by_key).
        # Only a node of a network keeps it: it is one more page written by every commit.
        self._db.execute(_NETWORK_INDEX if network else "DROP INDEX IF EXISTS entries_by_ms")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(entries)")}
        if "account" not in columns:  # a database from before accounts
            self._db.execute("ALTER TABLE entries ADD COLUMN account TEXT NOT NULL DEFAULT ''")
        self._lock = threading.Lock()
        self._checkpointer = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._checkpointer.execute("PRAGMA synchronous=FULL")
        self._checkpoint_lock = threading.Lock()

    def close(self) -> None:
        with self._checkpoint_lock:
            self._checkpointer.close()
        with self._lock:
            self._db.close()

    def checkpoint(self) -> tuple[int, int]:
        """Sync the WAL and copy it into the database; returns (frames in the WAL, frames copied).

        Commits go on meanwhile, except when the WAL has grown past the restart
        threshold: then the frames they added are copied with commits held off,
        so that the next commit starts the WAL over from its beginning.
        """
        with self._checkpoint_lock:
            frames, copied = self._checkpoint_passive()
            if frames >= self._wal_restart_frames:
                # Even a pass that copied everything may have raced a commit that began before it
                # ended, which then appended past it; only with commits held off is it certain.
                with self._lock:
                    frames, copied = self._checkpoint_passive()
        return frames, copied

    def _checkpoint_passive(self) -> tuple[int, int]:
        # fetchall: a cursor left unexhausted would keep a read open and the WAL from starting over
        ((_, frames, copied),) = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        return int(frames), int(copied)

    def max_seq(self) -> int:
        with self._lock:
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()
            return int(seq)

    # -- writing -------------------------------------------------------------

    def write(self, entries: Sequence[Entry], channels: dict[str, ChannelSettings]) -> None:
        """Commit a batch of entries and channel settings in one transaction (the group commit)."""
        rows = [
            (e.seq, e.msgid, e.time, history_key(e.event), e.event.command, e.event.source,
             json.dumps(e.event.params), e.event.origin, json.dumps(e.event.channels), e.event.target_conn,
             json.dumps(e.event.tags), e.event.account)
            for e in entries
        ]
        redactions = [found for e in entries if e.event.command == "REDACT" and (found := redaction_of(e.event))]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO entries (seq, msgid, time, key, command, source, params, origin, channels,"
                    " target_conn, tags, account) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                if redactions:  # a redacted message leaves history (message-redaction)
                    self._db.executemany("DELETE FROM entries WHERE key = ? AND seq = ? AND msgid = ?",
                                         [found for found in redactions if found[1]])
                    by_time = [(key, ms, msgid) for key, seq, msgid in redactions
                               if not seq and (ms := network_msgid_ms(msgid)) is not None]
                    self._db.executemany(DELETE_BY_TIME, by_time)
                    self._db.executemany("DELETE FROM entries WHERE key = ? AND msgid = ?",
                                         [(key, msgid) for key, seq, msgid in redactions
                                          if not seq and network_msgid_ms(msgid) is None])
                self._db.executemany(
                    "INSERT INTO channels VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET name=excluded.name,"
                    " topic=excluded.topic, topic_by=excluded.topic_by, topic_time=excluded.topic_time,"
                    " modes=excluded.modes, chan_key=excluded.chan_key, chan_limit=excluded.chan_limit",
                    [(key, *settings) for key, settings in channels.items()],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def prune(self, older_than: float | None, max_per_key: int | None) -> int:
        """Drop history past the retention limits; returns how many entries went."""
        removed = 0
        with self._lock:
            if older_than is not None:
                removed += self._db.execute("DELETE FROM entries WHERE time < ? AND seq < "
                                            "(SELECT MAX(seq) FROM entries)", (older_than,)).rowcount
            if max_per_key:
                removed += self._db.execute(
                    "DELETE FROM entries WHERE key IS NOT NULL AND seq IN (SELECT seq FROM ("
                    " SELECT seq, ROW_NUMBER() OVER (PARTITION BY key ORDER BY seq DESC) AS age"
                    " FROM entries WHERE key IS NOT NULL) WHERE age > ?)", (max_per_key,)).rowcount
        return removed

    # -- reading -------------------------------------------------------------

    def channel_settings(self) -> dict[str, ChannelSettings]:
        with self._lock:
            rows = self._db.execute("SELECT key, name, topic, topic_by, topic_time, modes, chan_key, chan_limit "
                                    "FROM channels").fetchall()
        return {row[0]: (row[1], row[2], row[3], float(row[4]), row[5], row[6], int(row[7])) for row in rows}

    def _seq_of(self, bound: tuple[str, str] | None, q: HistoryQuery) -> tuple[str, float] | None:
        """Resolve a bound to ("seq", n) for a msgid or ("time", t) for a timestamp."""
        if bound is None:
            return None
        kind, value = bound
        if kind == "msgid":
            seq = msgid_seq(value)
            where, args = _key_clause(q)
            row = None if seq is None else self._db.execute(
                f"SELECT seq FROM entries WHERE seq = ? AND msgid = ? AND {where}", (seq, value, *args)).fetchone()
            return ("seq", float(row[0])) if row else ("missing", 0.0)
        return ("time", float(value))

    def query(self, q: HistoryQuery) -> list[Entry]:
        with self._lock:
            first = self._seq_of(q.first, q)
            second = self._seq_of(q.second, q)
            if (first and first[0] == "missing") or (second and second[0] == "missing"):
                return []
            clause, key_args = _key_clause(q)
            where = [clause] if q.playback else [clause, _SAID]
            args: list[object] = list(key_args)
            if q.up_to_seq:
                where.append("seq < ?")
                args.append(q.up_to_seq)

            def cond(bound: tuple[str, float], op: str) -> None:
                column, value = _column_and_value(bound)
                where.append(f"{column} {op} ?")
                args.append(value)

            order = "DESC"
            if q.kind == "LATEST" and first is not None:
                cond(first, ">")
            elif q.kind == "BEFORE" and first is not None:
                cond(first, "<")
            elif q.kind == "AFTER" and first is not None:
                cond(first, ">")
                order = "ASC"
            elif q.kind == "BETWEEN" and first is not None and second is not None:
                low, high = sorted((first, second), key=lambda b: b[1]) if first[0] == second[0] else (first, second)
                ascending = first[1] <= second[1] if first[0] == second[0] else True
                cond(low, ">")
                cond(high, "<")
                order = "ASC" if ascending else "DESC"
            elif q.kind == "AROUND" and first is not None:
                column, value = _column_and_value(first)
                before = self._select([*where, f"{column} < ?"], [*args, value], "DESC", q.limit // 2)
                after = self._select([*where, f"{column} >= ?"], [*args, value], "ASC", q.limit - len(before))
                return sorted(before + after, key=lambda e: e.seq)
            rows = self._select(where, args, order, q.limit)
            return sorted(rows, key=lambda e: e.seq)

    def _select(self, where: list[str], args: list[object], order: str, limit: int) -> list[Entry]:
        sql = (f"SELECT seq, msgid, time, command, source, params, origin, channels, target_conn, tags, account "
               f"FROM entries WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?")
        return [
            Entry(row[0], row[1], row[2], Event(row[3], row[4], tuple(json.loads(row[5])), row[6],
                                                tuple(json.loads(row[7])), row[8], json.loads(row[9]),
                                                account=row[10]))
            for row in self._db.execute(sql, [*args, limit])
        ]

    def conversations(self, nick: str, after: float, before: float, limit: int) -> list[tuple[str, float]]:
        """(the other party, time of the latest message) of each private conversation of a history identity."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, MAX(time) FROM entries WHERE (key LIKE ? ESCAPE '!' OR key LIKE ? ESCAPE '!') "
                f"GROUP BY key HAVING MAX({_MS}) > ? AND MAX({_MS}) < ? ORDER BY MAX(time) LIMIT ?",
                [_like(nick) + " %", "% " + _like(nick), round(after * 1000), round(before * 1000), limit]).fetchall()
        out = []
        for key, when in rows:
            a, _, b = key.partition(" ")
            out.append((b if a == nick else a, float(when)))
        return out

    def targets(self, keys: Sequence[str], after: float, before: float, limit: int) -> list[tuple[str, float]]:
        """(key, time of the latest message) for each of ``keys`` whose latest message is in (after, before)."""
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, MAX(time) FROM entries WHERE key IN ({marks}) "
                f"GROUP BY key HAVING MAX({_MS}) > ? AND MAX({_MS}) < ? ORDER BY MAX(time) LIMIT ?",
                [*keys, round(after * 1000), round(before * 1000), limit]).fetchall()
        return [(row[0], float(row[1])) for row in rows]


# An entry's time to the millisecond, as its server-time tag shows it (events.format_time).
_MS = "CAST(time * 1000 AS INTEGER)"


# What was said, for a query without the playback events (draft/event-playback).
_SAID = "command IN (" + ",".join(f"'{command}'" for command in sorted(HISTORY_COMMANDS)) + ")"


def _key_clause(q: HistoryQuery) -> tuple[str, tuple[str, ...]]:
    """The WHERE condition choosing the query's conversation(s)."""
    if not q.key_patterns:
        return "key = ?", (q.key,)
    return "(" + " OR ".join(["key LIKE ? ESCAPE '\\'"] * len(q.key_patterns)) + ")", q.key_patterns


def _column_and_value(bound: tuple[str, float]) -> tuple[str, float]:
    """What a resolved bound compares: the seq, or the time to the millisecond as server-time tags
    show it (a client's timestamp=... names the entry whose tag it copied, not the ones just after)."""
    if bound[0] == "seq":
        return "seq", bound[1]
    return _MS, round(bound[1] * 1000)


def _like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
