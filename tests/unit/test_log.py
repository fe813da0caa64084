"""The shared log: in-process, and through a real multiprocessing Manager."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from server.dispatch.manager import start_shared_state
from server.log import Event, LogOverrun, MemoryLog, MessageLog


def event(n: int, origin: str = "t:1") -> Event:
    return Event("PRIVMSG", "a!u@h", ("#c", f"m{n}"), origin, ("#c",))


@pytest.fixture(params=["memory", "manager"])
def log(request: pytest.FixtureRequest) -> Iterator[MessageLog]:
    if request.param == "memory":
        yield MemoryLog(capacity=1000)
        return
    manager = start_shared_state(log_memory=1000)
    try:
        yield manager.log()
    finally:
        manager.shutdown()


def test_append_assigns_gapless_seq_unique_msgid_and_time(log: MessageLog) -> None:
    first = log.append([event(1), event(2)])
    second = log.append([event(3)])
    entries = first + second
    assert [e.seq for e in entries] == [1, 2, 3]
    assert len({e.msgid for e in entries}) == 3
    assert all(e.time > 1_600_000_000 for e in entries)
    assert log.last_seq() == 3


def test_read_after_a_cursor_in_batches(log: MessageLog) -> None:
    log.append([event(n) for n in range(10)])
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
    time.sleep(0.1)
    log.append([event(1), event(2)])
    waiter.join(5)
    assert got == [1, 2]


def test_memory_is_bounded_and_a_reader_left_behind_is_told(log: MessageLog) -> None:
    for start in range(0, 1500, 100):
        log.append([event(n) for n in range(start, start + 100)])
    assert log.read_after(1400)[0].seq == 1401
    with pytest.raises(LogOverrun):
        log.read_after(10)


def test_concurrent_appenders_get_one_total_order(log: MessageLog) -> None:
    def append_many(origin: str) -> None:
        for n in range(100):
            log.append([event(n, origin)])

    threads = [threading.Thread(target=append_many, args=(f"t:{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    entries = log.read_after(0, limit=1000)
    assert [e.seq for e in entries] == list(range(1, 401))
    for i in range(4):
        mine = [e.event.params[1] for e in entries if e.event.origin == f"t:{i}"]
        assert mine == [f"m{n}" for n in range(100)]
