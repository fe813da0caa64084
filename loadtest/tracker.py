"""Exact per-sender counting of deliveries: unique, duplicated and out of order."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ReceiverLog", "SenderTally"]


@dataclass
class SenderTally:
    """Deliveries of one sender's messages, summed over the receivers of one process."""

    unique: int = 0
    duplicated: int = 0
    reordered: int = 0

    def add(self, other: SenderTally) -> None:
        self.unique += other.unique
        self.duplicated += other.duplicated
        self.reordered += other.reordered


class _FromSender:
    """One receiver's view of one sender: the sequence numbers seen and the highest."""

    __slots__ = ("highest", "seen", "tally")

    def __init__(self, tally: SenderTally, size: int) -> None:
        self.seen = bytearray(size)
        self.highest = -1
        self.tally = tally


@dataclass
class ReceiverLog:
    """What one receiving connection has seen from each sender.

    A delivery is a duplicate when that receiver already had the sender's
    sequence number; it is out of order when a higher sequence number from
    the same sender reached that receiver before it.
    """

    tallies: dict[int, SenderTally]
    senders: dict[int, _FromSender] = field(default_factory=dict)

    def record(self, sender: int, seq: int) -> None:
        state = self.senders.get(sender)
        if state is None:
            tally = self.tallies.get(sender)
            if tally is None:
                tally = self.tallies[sender] = SenderTally()
            state = self.senders[sender] = _FromSender(tally, max(64, seq + 1))
        seen = state.seen
        if seq >= len(seen):
            seen.extend(bytes(max(seq + 1 - len(seen), len(seen))))
        if seen[seq]:
            state.tally.duplicated += 1
            return
        seen[seq] = 1
        state.tally.unique += 1
        if seq < state.highest:
            state.tally.reordered += 1
        else:
            state.highest = seq
