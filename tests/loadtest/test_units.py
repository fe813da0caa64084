"""Unit tests: payload text, per-receiver counting, the plan, histograms, /proc memory."""

from __future__ import annotations

import os

import pytest

from loadtest.memory import tree_rss_kib
from loadtest.params import Params, Plan
from loadtest.payload import MAGIC, NOT_A_STAMP, make_text, read_text
from loadtest.stats import LatencyCounter, decode, new_histogram, summary
from loadtest.tracker import ReceiverLog, SenderTally


def test_payload_round_trip() -> None:
    text = make_text(7, 42, 123456789, pad=10)
    assert text.startswith(MAGIC + " ")
    assert read_text(text) == (7, 42, 123456789)
    assert read_text(make_text(0, 0, 5)) == (0, 0, 5)


@pytest.mark.parametrize("text", ["hello", "LT1 a b c", "LT1 1 2", "LT2 1 2 3", "", "LT1 1 -70 0", "LT1 -1 2 3",
                                  "LT1  1 2 3", "LT1 1 2 3x", "LT1 1 2 ", "LT11 2 3 4", "LT1 +1 2 3", "LT1 1_0 2 3"])
def test_payload_ignores_other_text(text: str) -> None:
    assert read_text(text) == NOT_A_STAMP


def test_tracker_counts_duplicates_and_reordering() -> None:
    tallies: dict[int, SenderTally] = {}
    log = ReceiverLog(tallies)
    for seq in [0, 1, 3, 2, 3, 4, 0, 500]:
        log.record(1, seq)
    log.record(2, 0)
    assert tallies[1] == SenderTally(unique=6, duplicated=2, reordered=1)
    assert tallies[2] == SenderTally(unique=1)


def test_tracker_keeps_receivers_apart() -> None:
    tallies: dict[int, SenderTally] = {}
    a, b = ReceiverLog(tallies), ReceiverLog(tallies)
    a.record(5, 0)
    b.record(5, 0)
    assert tallies[5] == SenderTally(unique=2)


def test_plan_expectations() -> None:
    plan = Plan(Params("rooms", clients=10, channels=3, messages=4, procs=3))
    assert sorted(c for w in range(3) for c in plan.clients_of(w)) == list(range(10))
    assert plan.members_per_channel == [4, 3, 3]
    assert plan.expected_for(0) == 3 * 4
    fan = Plan(Params("fanout", clients=10, senders=3, messages=5))
    assert fan.expected_for(0) == 2 * 5 and fan.expected_for(9) == 3 * 5


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        Params("nope")
    with pytest.raises(ValueError):
        Params("fanout", clients=2, senders=3)


def test_histogram_percentiles_survive_encoding() -> None:
    counter = LatencyCounter()
    for ms in range(1, 101):
        counter.add_ns(ms * 1_000_000)
    s = summary(decode(counter.encoded()))
    assert s["count"] == 100
    assert 49.5 <= float(s["p50_ms"]) <= 50.5
    assert 99.5 <= float(s["max_ms"]) <= 100.5


def test_rounded_counting_gives_the_histogram_of_exact_recording() -> None:
    counter = LatencyCounter()
    exact = new_histogram()
    for us in [1, 7, 2047, 2048, 2049, 4097, 123_457, 2_500_001, 999_999_999]:
        counter.add_ns(us * 1000 + 999)
        exact.record_value(us)
    rounded = counter.histogram()
    assert len(counter.counts) < 9  # 2049 and 2048 share one bucket
    for p in (10.0, 50.0, 90.0, 99.0, 100.0):
        assert rounded.get_value_at_percentile(p) == exact.get_value_at_percentile(p)
    assert rounded.get_max_value() == exact.get_max_value()


def test_a_negative_latency_is_counted_as_the_smallest_not_a_crash() -> None:
    counter = LatencyCounter()
    counter.add_ns(-5_000)  # -5 us: fewer bits than the exact range
    assert counter.histogram().get_total_count() == 1


def test_memory_of_own_process() -> None:
    rss = tree_rss_kib(os.getpid())
    assert rss is not None and rss > 0


def test_clients_take_turns_between_the_nodes_of_a_network() -> None:
    alone = Params("fanout", port=7000)
    assert {alone.port_for(i) for i in range(5)} == {7000}
    spread = Params("fanout", port=7000, also_ports=(7001, 7002))
    assert [spread.port_for(i) for i in range(6)] == [7000, 7001, 7002, 7000, 7001, 7002]
