"""The shared log: in-process, and through a real multiprocessing Manager."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest

from server.config import Config
from server.log import Entry, Event, LogOverrun, MemoryLog, MessageLog, SharedLog
from server.log import durable as durable_module
from server.log.durable import DurableLog
from server.log.events import format_time, make_msgid, msgid_seq, parse_time
from server.log.history import HistoryQuery
from server.log.sqlite import HistoryStore
from server.shared.manager import start_shared_state
from server.shared.tailing import RemoteLog, TailingLog


def event(n: int, origin: str = "t:1") -> Event:
    return Event("PRIVMSG", "a!u@h", ("#c", f"m{n}"), origin, ("#c",))


@contextmanager
def home(kind: str, tmp_path: Path) -> Iterator[DurableLog | RemoteLog]:
    """The log in this process, or the Manager's (its proxy)."""
    if kind == "durable":
        durable = DurableLog(tmp_path / "h.sqlite3", capacity=1000)
        yield durable
        durable.close()
        return
    manager = start_shared_state(Config(data_dir=str(tmp_path), log_memory=1000))
    try:
        yield manager.log()
    finally:
        manager.shutdown()


@pytest.fixture(params=["memory", "durable", "manager"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MessageLog]:
    if request.param == "memory":
        yield MemoryLog(capacity=1000)
        return
    with home(request.param, tmp_path) as found:
        yield found


def settle(log: MessageLog, seq: int) -> None:
    """Wait until readers can see ``seq`` (a durable log shows entries once they are on disk)."""
    deadline = time.monotonic() + 5
    while log.last_seq() < seq and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.last_seq() == seq


def test_append_assigns_gapless_seq_unique_msgid_and_time(log: MessageLog) -> None:
    first = log.append([event(1), event(2)])
    second = log.append([event(3)])
    entries = first + second
    assert [e.seq for e in entries] == [1, 2, 3]
    assert len({e.msgid for e in entries}) == 3
    assert all(e.time > 1_600_000_000 for e in entries)
    settle(log, 3)


def test_read_after_a_cursor_in_batches(log: MessageLog) -> None:
    log.append([event(n) for n in range(10)])
    settle(log, 10)
    assert [e.event.params[1] for e in log.read_after(7)] == ["m7", "m8", "m9"]
    assert [e.seq for e in log.read_after(0, limit=4)] == [1, 2, 3, 4]
    assert log.read_after(10) == []


def test_wait_after_times_out_empty_then_wakes_on_append(log: MessageLog) -> None:
    started = time.monotonic()
    assert log.wait_after(0, timeout=0.2) == []
    assert time.monotonic() - started >= 0.15
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.extend(e.seq for e in log.wait_after(0, timeout=5)))
    waiter.start()
    waiter.join(0.1)
    assert waiter.is_alive() and got == []  # still blocked: nothing to read yet
    log.append([event(1), event(2)])
    waiter.join(5)
    assert got == [1, 2]


def test_memory_is_bounded_and_a_reader_left_behind_is_told(log: MessageLog) -> None:
    for start in range(0, 1500, 100):
        log.append([event(n) for n in range(start, start + 100)])
    settle(log, 1500)
    assert log.read_after(1400)[0].seq == 1401
    with pytest.raises(LogOverrun):
        log.read_after(10)
    if isinstance(log, DurableLog):  # memory is bounded; the disk keeps everything
        assert log.history(HistoryQuery("AFTER", "#c", 5, ("time", "0")))[0].event.params[1] == "m0"


def test_concurrent_appenders_get_one_total_order(log: MessageLog) -> None:
    def append_many(origin: str) -> None:
        for n in range(100):
            log.append([event(n, origin)])

    threads = [threading.Thread(target=append_many, args=(f"t:{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    settle(log, 400)
    entries = log.read_after(0, limit=1000)
    assert [e.seq for e in entries] == list(range(1, 401))
    for i in range(4):
        mine = [e.event.params[1] for e in entries if e.event.origin == f"t:{i}"]
        assert mine == [f"m{n}" for n in range(100)]


def test_durable_log_survives_a_restart_and_keeps_numbering(tmp_path: Path) -> None:
    first = DurableLog(tmp_path / "h.sqlite3")
    stored = first.append([event(n) for n in range(3)])
    assert first.wait_after(0, 5)[-1].seq == 3  # readers only see what is on disk
    first.close()
    second = DurableLog(tmp_path / "h.sqlite3")
    assert second.last_seq() == 3
    assert second.append([event(3)])[0].seq == 4
    assert second.flush()
    history = second.history(HistoryQuery("LATEST", "#c", 10))
    assert [e.msgid for e in history[:3]] == [e.msgid for e in stored]
    assert [e.event.params[1] for e in history] == ["m0", "m1", "m2", "m3"]
    second.close()


def test_a_follower_gets_each_batch_from_the_writer_after_its_commit(tmp_path: Path) -> None:
    durable = DurableLog(tmp_path / "h.sqlite3")
    durable.append([event(n) for n in range(3)])
    assert durable.flush()
    got: list[int] = []
    calls: list[tuple[str, int, int]] = []  # (calling thread, last seq on disk, last seq handed over)
    done = threading.Event()

    def follower(entries: list[Entry]) -> None:
        calls.append((threading.current_thread().name, durable.store.max_seq(), entries[-1].seq))
        got.extend(e.seq for e in entries)
        if got[-1] == 50:
            done.set()

    durable.follow(1, follower)  # what was committed after 1 comes first
    assert got == [2, 3]
    for n in range(3, 50):
        durable.append([event(n)])
    assert done.wait(5)
    assert got == list(range(2, 51))
    assert all(name == "log-writer" for name, _, _ in calls[1:])
    assert all(on_disk >= handed for _, on_disk, handed in calls)
    durable.close()


def test_a_failing_follower_does_not_stop_commits(tmp_path: Path) -> None:
    durable = DurableLog(tmp_path / "h.sqlite3")

    def follower(entries: list[Entry]) -> None:
        raise RuntimeError("delivery bug")

    durable.follow(0, follower)
    durable.append([event(1)])
    durable.append([event(2)])
    assert durable.flush()
    assert durable.store.max_seq() == 2
    durable.close()


@pytest.mark.parametrize(("fsync", "inline"), [("everysec", True), ("always", False)])
def test_commit_now_commits_in_the_calling_thread_under_everysec(tmp_path: Path, fsync: str, inline: bool) -> None:
    durable = DurableLog(tmp_path / "h.sqlite3", fsync=fsync)
    handed: list[tuple[str, int, int]] = []  # (calling thread, last seq handed over, last seq on disk)

    def follower(entries: list[Entry]) -> None:
        handed.append((threading.current_thread().name, entries[-1].seq, durable.store.max_seq()))

    durable.follow(0, follower)
    for n in range(50):
        durable.append([event(n)])
        durable.commit_now()  # the writer thread, woken by the append, may still get there first
    assert durable.flush()
    here = [seq for name, seq, _ in handed if name == threading.current_thread().name]
    assert bool(here) == inline
    assert all(on_disk >= seq for _, seq, on_disk in handed)
    assert [seq for _, seq, _ in handed] == sorted(seq for _, seq, _ in handed)
    durable.close()


def test_a_commit_that_fails_in_a_handler_thread_is_retried_by_the_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    durable = DurableLog(tmp_path / "h.sqlite3", fsync="everysec")
    write = durable.store.write
    failures = iter([True])

    def flaky_write(entries: list[Entry], channels: dict) -> None:  # type: ignore[type-arg]
        if next(failures, False):
            raise OSError("disk full")
        write(entries, channels)

    monkeypatch.setattr(durable.store, "write", flaky_write)
    durable.append([event(1)])
    durable.commit_now()
    assert durable.flush(5)  # nothing else was appended: the writer had to be told
    assert durable.store.max_seq() == 1
    durable.close()


@pytest.fixture(params=["durable", "manager"])
def shared_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SharedLog]:
    """Each home of the SharedLog, as a worker sees it."""
    with home(request.param, tmp_path) as found:
        yield found if isinstance(found, DurableLog) else TailingLog(found)


def test_every_home_delivers_through_follow_in_order_until_unfollowed(shared_log: SharedLog) -> None:
    shared_log.append([event(n) for n in range(1, 4)])
    seen: list[int] = []
    got_all = threading.Event()

    def follower(entries: list[Entry]) -> None:
        seen.extend(e.seq for e in entries)
        if len(seen) >= 5:
            got_all.set()

    unfollow = shared_log.follow(1, follower)  # what came after 1 first, then what comes
    for n in range(4, 7):
        shared_log.append([event(n)])
        shared_log.commit_now()
    assert got_all.wait(5)
    assert seen == [2, 3, 4, 5, 6]
    unfollow()
    shared_log.append([event(7)])
    shared_log.commit_now()
    deadline = time.monotonic() + 5
    while not shared_log.read_after(6, 10) and time.monotonic() < deadline:  # committed and visible
        time.sleep(0.01)
    assert [e.seq for e in shared_log.read_after(6, 10)] == [7]
    assert seen == [2, 3, 4, 5, 6]
    # Through the Manager a follower would be a callable in another process: the proxy offers
    # neither method, and the worker's TailingLog keeps the contract by tailing.
    assert not hasattr(getattr(shared_log, "_home", None), "follow")


def test_history_queries_by_msgid_and_time(tmp_path: Path) -> None:
    clock = iter(float(t) for t in range(1000, 2000))
    log = DurableLog(tmp_path / "h.sqlite3", clock=lambda: next(clock))
    entries = [log.append([event(n)])[0] for n in range(10)]
    assert log.flush()

    def texts(kind: str, limit: int, first=None, second=None) -> list[str]:  # type: ignore[no-untyped-def]
        return [e.event.params[1] for e in log.history(HistoryQuery(kind, "#c", limit, first, second))]

    mid = ("msgid", entries[5].msgid)
    assert texts("LATEST", 3) == ["m7", "m8", "m9"]
    assert texts("LATEST", 10, mid) == ["m6", "m7", "m8", "m9"]
    assert texts("BEFORE", 2, mid) == ["m3", "m4"]
    assert texts("AFTER", 2, mid) == ["m6", "m7"]
    assert texts("AROUND", 4, mid) == ["m3", "m4", "m5", "m6"]
    assert texts("AROUND", 1, mid) == ["m5"]  # the message itself, not the one before it
    # A timestamp copied from a server-time tag (to the millisecond) names that entry: LATEST excludes it.
    shown = ("time", str(parse_time(format_time(entries[4].time))))
    assert texts("LATEST", 10, shown)[0] == "m5"
    assert texts("AROUND", 3, ("time", str(entries[5].time))) == ["m4", "m5", "m6"]
    assert texts("BETWEEN", 10, ("msgid", entries[2].msgid), mid) == ["m3", "m4"]
    assert texts("BEFORE", 2, ("time", str(entries[3].time))) == ["m1", "m2"]
    assert texts("BEFORE", 5, ("msgid", "no-such-id")) == []
    assert log.history(HistoryQuery("LATEST", "#other", 5)) == []
    log.close()


def test_a_msgid_names_its_position() -> None:
    assert msgid_seq(make_msgid("1f2e3d4c", 42)) == 42
    for other in ["no-such-id", "abc-", "42", "a-4_2", "a-٤٢", ""]:
        assert msgid_seq(other) is None


def test_a_msgid_resolves_only_to_its_own_entry_and_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    log = DurableLog(path)
    first = [log.append([event(n)])[0] for n in range(6)]
    log.close()
    log = DurableLog(path)  # a new run: new msgids, same numbering
    later = [log.append([event(n)])[0] for n in range(6, 10)]
    assert log.flush()
    assert first[0].msgid.rpartition("-")[0] != later[0].msgid.rpartition("-")[0]

    def texts(kind: str, bound: str) -> list[str]:
        return [e.event.params[1] for e in log.history(HistoryQuery(kind, "#c", 2, ("msgid", bound)))]

    assert texts("BEFORE", first[3].msgid) == ["m1", "m2"]
    assert texts("AFTER", later[0].msgid) == ["m7", "m8"]
    # The right position under another run's name, or a name for no position: no such message.
    assert texts("BEFORE", make_msgid("0badf00d", first[3].seq)) == []
    assert texts("BEFORE", make_msgid(later[0].msgid.rpartition("-")[0], 999)) == []
    log.close()


def test_a_database_from_before_loses_its_msgid_index(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("CREATE INDEX entries_by_msgid ON entries (msgid)")
    HistoryStore(path).close()
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "entries_by_msgid" not in indexes and "entries_by_key" in indexes


def said(n: int, channel: str) -> Event:
    return Event("PRIVMSG", "a!u@h", (channel, f"m{n}"), "t:1", (channel,))


@pytest.mark.parametrize("scan", [2000, 5])
def test_a_join_replay_reads_memory_and_sqlite_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     scan: int) -> None:
    monkeypatch.setattr(durable_module, "RECENT_SCAN", scan)  # 5: #quiet is out of reach, SQLite answers
    log = DurableLog(tmp_path / "h.sqlite3")
    log.append([said(n, "#quiet") for n in range(3)])
    for n in range(30):
        log.append([said(n, "#busy"), event(n)])  # (event: #c)
    join = log.append([Event("JOIN", "b!u@h", ("#busy",), "t:2", ("#busy",))])[0]
    log.append([said(99, "#busy")])  # after the join: not replayed
    assert log.flush()
    asked: list[str] = []
    store_query = log.store.query

    def counted(query: HistoryQuery) -> list[Entry]:
        asked.append(query.key)
        return store_query(query)

    monkeypatch.setattr(log.store, "query", counted)
    for key, limit, from_memory in [("#busy", 5, scan > 5), ("#busy", 40, False), ("#quiet", 2, scan > 5),
                                    ("#none", 3, False)]:
        query = HistoryQuery("LATEST", key, limit, up_to_seq=join.seq)
        asked.clear()
        assert log.history(query) == store_query(query), (key, limit)
        assert asked == ([] if from_memory else [key]), (key, limit)
    assert [e.event.params[1] for e in log.history(HistoryQuery("LATEST", "#busy", 3, up_to_seq=join.seq))] == \
        ["m27", "m28", "m29"]
    log.close()


def test_a_join_replay_after_a_restart_comes_from_sqlite(tmp_path: Path) -> None:
    log = DurableLog(tmp_path / "h.sqlite3")
    log.append([said(n, "#busy") for n in range(5)])
    log.close()
    log = DurableLog(tmp_path / "h.sqlite3")
    join = log.append([Event("JOIN", "b!u@h", ("#busy",), "t:2", ("#busy",))])[0]
    assert log.flush()
    replay = log.history(HistoryQuery("LATEST", "#busy", 3, up_to_seq=join.seq))
    assert [e.event.params[1] for e in replay] == ["m2", "m3", "m4"]
    log.close()


def test_a_join_replay_keeps_to_the_retention_limits(tmp_path: Path) -> None:
    clock = iter(float(t) for t in [0, *range(100_000, 100_100)])
    log = DurableLog(tmp_path / "h.sqlite3", clock=lambda: next(clock), history_days=1.0, history_max_per_target=4)
    log.append([said(n, "#busy") for n in range(3)])  # at time 0-2: more than a day before the rest
    for n in range(3, 9):
        log.append([said(n, "#busy")])
    join = log.append([Event("JOIN", "b!u@h", ("#busy",), "t:2", ("#busy",))])[0]
    assert log.flush()
    replay = log.history(HistoryQuery("LATEST", "#busy", 20, up_to_seq=join.seq))
    assert [e.event.params[1] for e in replay] == ["m5", "m6", "m7", "m8"]
    log.close()


def test_retention_prunes_per_target(tmp_path: Path) -> None:
    log = DurableLog(tmp_path / "h.sqlite3")
    log.append([event(n) for n in range(10)])
    assert log.flush()
    assert log.store.prune(None, 4) == 6
    assert [e.event.params[1] for e in log.history(HistoryQuery("LATEST", "#c", 10))] == ["m6", "m7", "m8", "m9"]
    log.close()


def test_retention_runs_in_the_background(tmp_path: Path) -> None:
    log = DurableLog(tmp_path / "h.sqlite3", history_max_per_target=3, prune_every=0.05)
    log.append([event(n) for n in range(8)])
    assert log.flush()
    deadline = time.monotonic() + 5
    while len(log.history(HistoryQuery("LATEST", "#c", 10))) > 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [e.event.params[1] for e in log.history(HistoryQuery("LATEST", "#c", 10))] == ["m5", "m6", "m7"]
    log.close()


@pytest.mark.parametrize(("fsync", "synchronous"), [("always", 2), ("everysec", 1)])
def test_the_fsync_policy_sets_how_commits_reach_the_disk(tmp_path: Path, fsync: str, synchronous: int) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", fsync)
    try:
        assert store._db.execute("PRAGMA synchronous").fetchone() == (synchronous,)
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)  # never inside a commit
    finally:
        store.close()
    with pytest.raises(ValueError, match="fsync"):
        HistoryStore(tmp_path / "h.sqlite3", "sometimes")


def record_checkpoints(log: DurableLog, copied: bool) -> tuple[list[tuple[int, int]], threading.Event]:
    """Each checkpoint's (frames, copied); the event is set by the first (that copied some, if ``copied``)."""
    results: list[tuple[int, int]] = []
    seen = threading.Event()
    checkpoint = log.store.checkpoint

    def recorded() -> tuple[int, int]:
        results.append(checkpoint())
        if results[-1][1] or not copied:
            seen.set()
        return results[-1]

    log.store.checkpoint = recorded  # type: ignore[method-assign]
    return results, seen


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    log = DurableLog(tmp_path / "h.sqlite3", fsync="everysec", checkpoint_every=0.02)
    results, copied_some = record_checkpoints(log, copied=True)
    log.append([event(n) for n in range(50)])
    assert log.flush()
    assert copied_some.wait(5)
    frames, copied = next(r for r in results if r[1])
    assert copied == frames  # nobody held a snapshot, so all of the WAL went into the database
    log.close()
    reopened = DurableLog(tmp_path / "h.sqlite3")
    assert [e.event.params[1] for e in reopened.history(HistoryQuery("LATEST", "#c", 100))] == \
        [f"m{n}" for n in range(50)]
    reopened.close()


def test_an_idle_log_does_not_checkpoint_and_closes_promptly(tmp_path: Path) -> None:
    log = DurableLog(tmp_path / "h.sqlite3", fsync="everysec", checkpoint_every=0.01)
    calls, checkpointed = record_checkpoints(log, copied=False)
    log.append([event(1)])
    assert log.flush()
    assert checkpointed.wait(5)
    after_commit = len(calls)
    threading.Event().wait(0.3)  # thirty checkpoint intervals with nothing committed
    assert len(calls) == after_commit
    log.close()
    assert not log._maintainer.is_alive()  # woken by close, not left waiting for a commit


def test_the_wal_starts_over_under_steady_writes(tmp_path: Path) -> None:
    # A checkpoint that commits keep overtaking never leaves the WAL empty by itself.
    store = HistoryStore(tmp_path / "h.sqlite3", "everysec", wal_restart_frames=50)
    stop = threading.Event()
    progress = threading.Condition()
    written = 0

    def write() -> None:
        nonlocal written
        while not stop.is_set():
            store.write([Entry(written + i + 1, f"m{written + i + 1}", 0.0, event(i)) for i in range(20)], {})
            with progress:
                written += 20
                progress.notify_all()

    writer = threading.Thread(target=write)
    writer.start()
    frames: list[int] = []
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline and not any(b < a for a, b in pairwise(frames)):
            with progress:  # let the writer commit some more between two checkpoints
                target = written + 100
                assert progress.wait_for(lambda target=target: written >= target, 5)
            frames.append(store.checkpoint()[0])
    finally:
        stop.set()
        writer.join(5)
        store.close()
    assert any(b < a for a, b in pairwise(frames)), frames  # the count of frames fell: it started over
    assert written > 0


def test_targets_are_those_whose_latest_message_falls_in_the_window(tmp_path: Path) -> None:
    clock = iter(float(t) for t in range(1000, 2000))
    log = DurableLog(tmp_path / "h.sqlite3", clock=lambda: next(clock))
    entries = [log.append([event(n)])[0] for n in range(3)]  # all in #c, at 1000, 1001, 1002
    assert log.flush()
    assert log.targets(["#c"], 0.0, 3000.0, 10) == [("#c", entries[2].time)]
    assert log.targets(["#c"], 0.0, entries[1].time, 10) == []  # its latest message is later
    assert log.targets(["#c"], entries[2].time, 3000.0, 10) == []  # the bound itself is excluded


def test_history_keeps_the_senders_account_and_older_databases_gain_the_column(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    old = sqlite3.connect(path)  # the entries table as it was before accounts
    old.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, msgid TEXT NOT NULL, time REAL NOT NULL, key TEXT,"
                " command TEXT NOT NULL, source TEXT NOT NULL, params TEXT NOT NULL, origin TEXT NOT NULL,"
                " channels TEXT NOT NULL, target_conn TEXT NOT NULL, tags TEXT NOT NULL)")
    old.execute("INSERT INTO entries VALUES (1, 'r-1', 1.0, '#c', 'PRIVMSG', 'a!a@h', ?, 'o', ?, '', '{}')",
                ('["#c", "old"]', '["#c"]'))
    old.commit()
    old.close()
    log = DurableLog(path)
    log.append([Event("PRIVMSG", "b!b@h", ("#c", "new"), "o", ("#c",), account="bob")])
    assert log.flush()
    got = log.history(HistoryQuery("LATEST", "#c", 10))
    assert [(e.event.params[1], e.event.account) for e in got] == [("old", ""), ("new", "bob")]
    assert got[1].message(account_tag=True).tags == {"account": "bob"}
