"""Setting up Python's cyclic garbage collector for short pauses."""

from __future__ import annotations

import gc

__all__ = ["FULL_PASS_EVERY", "settle_collector"]

# A full collection scans every tracked object (the log's recent entries,
# every connection's state) holding the GIL: tens of milliseconds that every
# client waits out (20-60 ms measured with 1,000 clients in the rooms
# workload). CPython runs one after every 10 middle-generation passes, as
# long as the old generation has grown by a quarter; 100 makes them about
# ten times rarer. Cyclic garbage waits longer for it, but most of what the
# server frees goes by reference counting.
FULL_PASS_EVERY = 100


def settle_collector() -> None:
    """Call once start-up is done, before serving.

    Freezing moves what start-up built (modules, classes, settings, all
    living as long as the process) out of every later pass.
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)
