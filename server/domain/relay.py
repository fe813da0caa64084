"""What a relayed message's text may hold: no more than fits one IRC line."""

from __future__ import annotations

__all__ = ["fit_line"]


def fit_line(text: str, overhead: str) -> str:
    """``text`` cut (at a character) so that the relayed line, ``overhead`` before it, fits IRC's 512 bytes with
    its CRLF: a longer line would be cut or refused by the clients it reaches."""
    budget = 510 - len(overhead.encode())
    raw = text.encode()
    return text if len(raw) <= budget else raw[:max(budget, 0)].decode(errors="ignore")
