"""Batches (IRCv3 ``batch``): the one way lines are wrapped in one, nested or not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .message import Message

__all__ = ["wrap_batch"]


def wrap_batch(ref: str, kind: str, params: tuple[str, ...], body: Iterable[Message], source: str | None,
               tags: Mapping[str, str] | None = None, outer: str = "") -> list[Message]:
    """``BATCH +ref kind params...`` (with ``tags``), ``body``, ``BATCH -ref``.

    A line of ``body`` not already in a batch is tagged ``batch=ref``; one that
    is (a nested batch and its lines) keeps its own. ``outer`` names the batch
    this one is nested in: its opening and closing lines carry it.
    """
    around = {"batch": outer} if outer else {}
    return [
        Message("BATCH", (f"+{ref}", kind, *params), source, {**around, **(tags or {})}),
        *(m if "batch" in m.tags else m.with_tags({**m.tags, "batch": ref}) for m in body),
        Message("BATCH", (f"-{ref}",), source, around),
    ]
