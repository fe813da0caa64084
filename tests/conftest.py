"""Fixtures shared by the whole suite: real servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import MODES, NO_FLOOD_CONTROL, RunningServer, chat_server


@pytest.fixture(params=MODES)
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """A fresh chat-server in each dispatch mode."""
    with chat_server(request.param, *NO_FLOOD_CONTROL) as srv:
        yield srv


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)
