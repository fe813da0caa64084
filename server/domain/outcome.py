"""Outcome: what a World operation did, for the handler that asked."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Refusal

__all__ = ["CHANSERV", "Outcome", "refused"]

# The source of what the built-in ChanServ does to a channel.
CHANSERV = "ChanServ!ChanServ@services."


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation did: the refusals to send back, and the last seq it logged."""

    refusals: tuple[Refusal, ...] = ()
    seq: int = 0

    @property
    def ok(self) -> bool:
        return not self.refusals


def refused(*refusal: str) -> Outcome:
    return Outcome((refusal,))
