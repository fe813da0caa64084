"""The Manager process under a burst of new connections: every worker thread opens one of its own."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from server.config import Config
from server.shared.manager import connect_shared_state, start_shared_state


@pytest.mark.timeout(60)
def test_a_burst_of_threads_all_get_through_to_the_manager(tmp_path: Path) -> None:
    manager = start_shared_state(Config(data_dir=str(tmp_path)))
    try:
        client = connect_shared_state(manager.address, manager.authkey)
        log = client.log()
        start = threading.Barrier(200)
        answered: list[int] = []

        def first_call() -> None:
            start.wait()
            answered.append(log.last_seq())  # this thread's first call: a new connection

        threads = [threading.Thread(target=first_call, daemon=True) for _ in range(200)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert len(answered) == 200, f"{200 - len(answered)} threads never got an answer"
    finally:
        manager.shutdown()
