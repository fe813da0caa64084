"""The server's garbage-collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from server.collector import FULL_PASS_EVERY, settle_collector


@pytest.fixture
def restore_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_collector")
def test_start_up_objects_leave_the_collector_and_full_passes_grow_rarer() -> None:
    kept = [[] for _ in range(100)]  # built "at start-up"
    young, middle, _ = gc.get_threshold()
    settle_collector()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (young, middle, FULL_PASS_EVERY)
