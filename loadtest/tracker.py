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


@dataclass
class ReceiverLog:
    """What one receiving connection has seen from each sender.

    A delivery is a duplicate when that receiver already had the sender's
    sequence number; it is out of order when a higher sequence number from
    the same sender reached that receiver before it.
    """

    tallies: dict[int, SenderTally]
    seen: dict[int, bytearray] = field(default_factory=dict)
    highest: dict[int, int] = field(default_factory=dict)

    def record(self, sender: int, seq: int) -> None:
        seen = self.seen.get(sender)
        if seen is None:
            seen = self.seen[sender] = bytearray(max(64, seq + 1))
            self.highest[sender] = -1
        elif seq >= len(seen):
            seen.extend(bytes(max(seq + 1 - len(seen), len(seen))))
        tally = self.tallies.get(sender)
        if tally is None:
            tally = self.tallies[sender] = SenderTally()
        if seen[seq]:
            tally.duplicated += 1
            return
        seen[seq] = 1
        tally.unique += 1
        if seq < self.highest[sender]:
            tally.reordered += 1
        else:
            self.highest[sender] = seq
