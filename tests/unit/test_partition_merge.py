"""The merge of the partitions of the network's stream: what it releases, when, and that every node releases
the same order however its reads of the partitions interleave."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.shared.partitions import MAX_SEQ, Merge, OutOfOrder, StreamId


def released(merge: Merge) -> list[StreamId]:
    return [stream_id for stream_id, _ in merge.ready()]


def test_an_entry_waits_until_every_partition_is_known_past_it() -> None:
    merge = Merge(2)
    merge.add(0, [((100, 0), b"a")], clock=(101, 0), full=False)
    assert released(merge) == []  # partition 1 has not been read yet
    merge.add(1, [], clock=(100, 0), full=False)
    assert released(merge) == []  # partition 1 may still get an entry stamped in millisecond 100
    merge.add(1, [], clock=(101, 0), full=False)
    assert released(merge) == [(100, 0)]
    assert merge.applied == (100, MAX_SEQ) and merge.released == [1, 0]


def test_entries_of_several_partitions_come_out_in_id_order() -> None:
    merge = Merge(3)
    merge.add(0, [((5, 0), b"a"), ((7, 3), b"d")], clock=(9, 0), full=False)
    merge.add(1, [((5, 1), b"b")], clock=(9, 0), full=False)
    merge.add(2, [((6, 2), b"c")], clock=(9, 0), full=False)
    assert [op for _, op in merge.ready()] == [b"a", b"b", b"c", b"d"]
    assert merge.released == [2, 1, 1]


def test_a_read_cut_short_by_its_count_vouches_only_for_what_it_read() -> None:
    merge = Merge(2)
    merge.add(0, [((5, 0), b"a")], clock=(50, 0), full=True)  # more of partition 0 is waiting
    merge.add(1, [((7, 1), b"b")], clock=(50, 0), full=False)
    assert released(merge) == [(5, 0)]
    assert merge.read == [(5, 0), (7, 1)]
    merge.add(0, [((6, 0), b"c")], clock=(50, 0), full=False)
    assert released(merge) == [(6, 0), (7, 1)]


def test_a_node_resuming_from_a_snapshot_reads_every_partition_after_it() -> None:
    merge = Merge(2, applied=(40, MAX_SEQ), released=[3, 4])
    assert merge.read == [(40, MAX_SEQ), (40, MAX_SEQ)]
    merge.add(0, [((41, 0), b"a")], clock=(45, 0), full=False)
    merge.add(1, [], clock=(45, 0), full=False)
    assert released(merge) == [(41, 0)] and merge.released == [4, 4]


def test_an_entry_stamped_before_what_was_already_released_stops_the_merge() -> None:
    merge = Merge(2)
    merge.add(0, [((100, 0), b"a")], clock=(200, 0), full=False)
    merge.add(1, [], clock=(200, 0), full=False)
    assert released(merge) == [(100, 0)]
    with pytest.raises(OutOfOrder):  # partition 1's master said 200, then stamped 150: its clock went back
        merge.add(1, [((150, 1), b"late")], clock=(210, 0), full=False)


# A network's entries: each partition's ids increasing, every id unique (partition p's sequence numbers are
# p modulo the number of partitions), and each read returns what the partition has up to some millisecond.
entries_of = st.lists(st.tuples(st.integers(1, 30), st.integers(0, 3)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries_of, min_size=3, max_size=3), st.randoms(use_true_random=False))
def test_every_way_of_reading_the_partitions_releases_one_order(partitions: list[list[tuple[int, int]]],
                                                                 rng: random.Random) -> None:
    count = len(partitions)
    streams = [sorted({(ms, k * count + p) for ms, k in raw}) for p, raw in enumerate(partitions)]
    everything = sorted(stream_id for stream in streams for stream_id in stream)

    def one_node() -> list[StreamId]:
        merge, taken, out = Merge(count), [0] * count, []
        for now in range(1, 33):  # the network's clock, one millisecond at a time
            for p in rng.sample(range(count), count):  # this node reads the partitions in its own order
                if rng.random() < 0.5:
                    continue
                visible = [s for s in streams[p][taken[p]:] if s[0] < now]  # appended before this read
                chunk = visible[:rng.randint(1, 3)]
                taken[p] += len(chunk)
                merge.add(p, [(s, b"") for s in chunk], clock=(now, 0), full=len(chunk) < len(visible))
                out += released(merge)
        for p in range(count):  # at last every partition is read through
            merge.add(p, [(s, b"") for s in streams[p][taken[p]:]], clock=(40, 0), full=False)
        return out + released(merge)

    assert one_node() == everything
    assert one_node() == everything
