"""A REDACT of a network's msgid (which names no seq of this node's store) finds its entry through an index
that a node of a network keeps (in databases made before it too) and a server alone does not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from server.log import Entry, Event
from server.log.sqlite import DELETE_BY_TIME, HistoryStore


def message(seq: int, msgid: str, channel: str, text: str) -> Entry:
    ms = int(msgid.partition("-")[0])
    return Entry(seq, msgid, ms / 1000, Event("PRIVMSG", "a!u@h", (channel, text), "n~0/w0:1", (channel,)))


def texts(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT params FROM entries ORDER BY seq")]


def test_a_redact_of_a_network_msgid_removes_that_entry_and_no_other(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path, network=True)
    store.write([message(1, "1700000000000-0.0", "#a", "first"),
                 message(2, "1700000000000-0.1", "#a", "same operation"),
                 message(3, "1700000000000-1.0", "#a", "same millisecond"),
                 message(4, "1700000000001-0.0", "#a", "next millisecond"),
                 message(5, "1700000000000-0.0", "#b", "another target, the same msgid")], {})
    redact = Event("REDACT", "a!u@h", ("#a", "1700000000000-0.1"), "n~0/w0:1", ("#a",))
    store.write([Entry(6, "1700000000002-0.0", 1700000000.002, redact)], {})
    store.close()
    remaining = texts(path)
    assert not any("same operation" in row for row in remaining)
    assert [row for row in remaining if "REDACT" not in row and "1700000000000-0.1" not in row] == [
        '["#a", "first"]', '["#a", "same millisecond"]', '["#a", "next millisecond"]',
        '["#b", "another target, the same msgid"]']


def indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_redact_delete_is_an_index_search_on_a_node_even_of_a_database_from_before(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()  # a server alone: no such index, every commit writes one page fewer
    assert "entries_by_ms" not in indexes(path)
    HistoryStore(path, network=True).close()  # the same data directory on a network
    with sqlite3.connect(path) as db:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {DELETE_BY_TIME}",
                                                            ("#a", 1000, "1000-0.0")))
    assert "USING INDEX entries_by_ms (key=? AND <expr>=?)" in plan
    HistoryStore(path).close()  # and alone again
    assert "entries_by_ms" not in indexes(path)
