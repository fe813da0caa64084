"""Every workload, small, against the relay; faulty relays must be reported as lossy or duplicating."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from loadtest import Params, run

from .conftest import RunningRelay


def small(workload: str, server: Any, **kw: Any) -> Params:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "procs": 2, "timeout": 20.0, "drain": 1.0}
    base.update(kw)
    return Params(workload, **base)


@pytest.mark.timeout(30)
def test_fanout_counts_every_delivery(relay: RunningRelay) -> None:
    result = run(small("fanout", relay, clients=20, senders=4, messages=50), show_progress=False)
    f = result.figures
    assert f["messages_sent"] == 200
    assert f["deliveries_expected"] == 200 * 19
    assert f["delivered"] == 200 * 19
    assert (f["lost"], f["duplicated"], f["reordered"]) == (0, 0, 0)
    assert result.ok
    assert result.histograms["latency"].get_total_count() == 200 * 19
    assert all(row["sent"] == 50 and row["lost"] == 0 for row in result.senders)


@pytest.mark.timeout(30)
def test_lossy_server_is_reported_lossy(make_relay: Callable[..., Any]) -> None:
    with make_relay("--drop-every", "7") as relay:
        result = run(small("fanout", relay, clients=20, senders=4, messages=50), show_progress=False)
    total = 200 * 19
    f = result.figures
    assert f["lost"] == total // 7
    assert f["delivered"] == total - total // 7
    assert f["duplicated"] == 0
    assert not result.ok
    assert sum(row["lost"] for row in result.senders) == total // 7


@pytest.mark.timeout(30)
def test_duplicating_server_is_reported(make_relay: Callable[..., Any]) -> None:
    with make_relay("--dup-every", "5") as relay:
        result = run(small("fanout", relay, clients=20, senders=4, messages=50), show_progress=False)
    total = 200 * 19
    f = result.figures
    assert f["duplicated"] == total // 5
    assert f["lost"] == 0
    assert f["delivered"] == total
    assert not result.ok


@pytest.mark.timeout(30)
def test_rooms(relay: RunningRelay) -> None:
    result = run(small("rooms", relay, clients=40, channels=8, messages=3, rate=400.0), show_progress=False)
    f = result.figures
    assert f["messages_sent"] == 120
    assert f["delivered"] == f["deliveries_expected"] == 120 * 4
    assert f["lost"] == 0 and result.ok


@pytest.mark.timeout(30)
def test_connect(relay: RunningRelay) -> None:
    result = run(small("connect", relay, clients=150, in_flight=20), show_progress=False)
    f = result.figures
    assert f["registered"] == 150 and f["failures"] == 0
    assert result.histograms["register"].get_total_count() == 150
    assert result.ok


@pytest.mark.timeout(30)
def test_connect_failures_are_counted() -> None:
    # Nothing listens on port 1 of the loopback: every client fails, and the run says so.
    result = run(Params("connect", port=1, clients=10, procs=2, timeout=10.0), show_progress=False)
    assert result.figures["failures"] == 10
    assert not result.ok


@pytest.mark.timeout(30)
def test_idle_reads_server_memory(relay: RunningRelay) -> None:
    params = small("idle", relay, clients=100, probes=2, hold=0.3, server_pid=relay.proc.pid)
    result = run(params, show_progress=False)
    f = result.figures
    assert f["connected"] == 100
    assert f["pings"] > 0 and f["probe_failures"] == 0
    assert result.histograms["ping"].get_total_count() == f["pings"]
    assert f["server_rss_before_kib"] > 0 and "server_kib_per_connection" in f


@pytest.mark.timeout(30)
def test_churn(relay: RunningRelay) -> None:
    params = small("churn", relay, clients=30, senders=3, messages=20, rate=200.0, churners=3)
    result = run(params, show_progress=False)
    f = result.figures
    assert f["churn_cycles"] > 0 and f["churn_failures"] == 0
    assert f["delivered"] == f["deliveries_expected"] == 60 * 29
    assert result.ok


@pytest.mark.timeout(30)
@pytest.mark.parametrize("workload", ["connect", "fanout", "idle"])
def test_silent_server_is_bounded(workload: str) -> None:
    # A server that accepts and never answers: every workload gives up by itself and says so.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        params = Params(workload, port=port, clients=6, senders=2, messages=5, probes=1, hold=0.2, procs=2,
                        timeout=1.5, drain=0.5)
        started = time.monotonic()
        result = run(params, show_progress=False)
    assert time.monotonic() - started < 20
    assert result.figures["failures"] == 6
    assert not result.ok
