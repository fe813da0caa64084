"""Every workload, small, against the real chat-server in each dispatch mode it supports."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest import Params, run
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server


def small(workload: str, server: RunningServer, **kw: Any) -> Params:
    base: dict[str, Any] = {"host": server.host, "port": server.port, "procs": 2, "timeout": 20.0, "drain": 2.0}
    base.update(kw)
    return Params(workload, **base)


@pytest.mark.timeout(40)
def test_fanout_and_rooms(server: RunningServer) -> None:
    fan = run(small("fanout", server, clients=12, senders=3, messages=20), show_progress=False)
    assert fan.figures["deliveries_expected"] == 60 * 11
    assert fan.figures["delivered"] + fan.figures["lost"] == 60 * 11
    assert fan.figures["duplicated"] == 0
    rooms = run(small("rooms", server, clients=20, channels=5, messages=2, rate=200.0), show_progress=False)
    assert rooms.figures["deliveries_expected"] == 40 * 3
    assert rooms.figures["delivered"] + rooms.figures["lost"] == 40 * 3
    assert fan.ok and rooms.ok, (fan.figures, rooms.figures, fan.problems, rooms.problems)


@pytest.mark.timeout(40)
def test_connect_idle_churn(server: RunningServer) -> None:
    connect = run(small("connect", server, clients=40, in_flight=10), show_progress=False)
    assert connect.figures["registered"] + connect.figures["failures"] == 40
    idle = run(small("idle", server, clients=30, probes=2, hold=0.3, server_pid=server.proc.pid), show_progress=False)
    assert idle.figures["pings"] > 0
    assert idle.figures["server_rss_before_kib"] > 0
    churn = run(small("churn", server, clients=10, senders=2, messages=10, rate=100.0, churners=2),
                show_progress=False)
    assert churn.figures["churn_cycles"] > 0
    assert churn.figures["delivered"] + churn.figures["lost"] == churn.figures["deliveries_expected"] == 20 * 9
    assert connect.ok and idle.ok and churn.ok, (connect.problems, idle.problems, churn.problems)


@pytest.mark.timeout(60)
def test_login_registers_accounts_then_logs_every_one_in_with_sasl_while_rooms_chat() -> None:
    with chat_server("pool", *NO_FLOOD_CONTROL, "--register-throttle", "0/0") as srv:
        login = run(small("login", srv, clients=10, channels=2, messages=2, rate=100.0, accounts=4),
                    show_progress=False)
        assert login.figures["logins"] == 4 and login.figures["login_failures"] == 0, login.problems
        assert login.figures["logins_per_s"] > 0
        assert "login" in login.histograms
        assert login.figures["delivered"] + login.figures["lost"] == login.figures["deliveries_expected"] == 20 * 4
        assert login.ok, login.problems
