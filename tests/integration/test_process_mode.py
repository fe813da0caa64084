"""Process mode: one network across worker processes, and a worker that dies is replaced."""

from __future__ import annotations

import os
import signal
from collections import defaultdict

import pytest

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for


def worker_of(client: LineClient) -> str:
    """Which worker serves this client: WHOIS names it in RPL_WHOISSERVER."""
    client.send(f"WHOIS {client.nick}")
    reply = client.expect(f" 312 {client.nick} {client.nick} ")
    return reply.params[-1].rsplit("worker ", 1)[1]


def clients_on_two_workers(srv: RunningServer, prefix: str, per_worker: int = 1,
                           limit: int = 40) -> dict[str, list[LineClient]]:
    """Connect clients until ``per_worker`` of them sit on each of two workers."""
    by_worker: dict[str, list[LineClient]] = defaultdict(list)
    for i in range(limit):
        client = LineClient(srv.address, f"{prefix}{i}")
        by_worker[worker_of(client)].append(client)
        full = [w for w, cs in by_worker.items() if len(cs) >= per_worker]
        if len(full) >= 2:
            return by_worker
    raise AssertionError(f"clients never spread over two workers: { {w: len(c) for w, c in by_worker.items()} }")


@pytest.fixture
def process_server() -> RunningServer:  # type: ignore[misc]
    with chat_server("process", *NO_FLOOD_CONTROL, "--workers", "2") as srv:
        yield srv


@pytest.mark.timeout(60)
def test_chat_names_and_nick_collisions_cross_workers(process_server: RunningServer) -> None:
    by_worker = clients_on_two_workers(process_server, "x")
    (w1, (a, *_)), (w2, (b, *_)) = list(by_worker.items())[:2]
    assert w1 != w2
    a.send("JOIN #across")
    a.expect(" 366 ")
    b.send("JOIN #across")
    names = b.expect(f" 353 {b.nick} ")
    assert set(names.params[-1].split()) >= {f"@{a.nick}", b.nick}
    a.expect(f":{b.nick}!\\S+ JOIN #across")
    a.send("PRIVMSG #across :from one worker")
    b.expect("PRIVMSG #across :from one worker")
    b.send(f"PRIVMSG {a.nick} :and back, privately")
    a.expect(f"PRIVMSG {a.nick} :and back, privately")
    b.send("WHO #across")
    b.expect_until(" 315 ")
    # nick collisions are refused whichever worker holds the nick
    b.send(f"NICK {a.nick.upper()}")
    b.expect(f" 433 {b.nick} ")
    with LineClient(process_server.address) as late:
        late.send(f"NICK {a.nick}")
        late.expect(" 433 ")
    for clients in by_worker.values():
        for client in clients:
            client.close()


@pytest.mark.timeout(60)
def test_a_killed_worker_is_replaced_and_its_users_quit_for_everyone(process_server: RunningServer) -> None:
    by_worker = clients_on_two_workers(process_server, "k")
    (doomed, victims), (_, survivors) = list(by_worker.items())[:2]
    watcher = survivors[0]
    for client in (*victims, watcher):
        client.send("JOIN #watch")
        client.expect(" 366 ")
    os.kill(int(doomed.removeprefix("p")), signal.SIGKILL)
    for victim in victims:
        quit_line = watcher.expect(f":{victim.nick}!\\S+ QUIT ", timeout=15)
        assert quit_line.params == ("Worker died",)
    assert wait_for(lambda: f"worker {doomed} died" in process_server.log_text(), 10)
    # everybody else keeps chatting, and new connections are served (by the old and the new worker)
    newcomers = [LineClient(process_server.address, f"new{i}") for i in range(6)]
    for client in newcomers:
        client.send("JOIN #watch")
        client.expect(" 366 ")
    watcher.send("PRIVMSG #watch :still here")
    for client in newcomers:
        client.expect("PRIVMSG #watch :still here")
    assert doomed not in {worker_of(c) for c in newcomers}
    for client in (*newcomers, *survivors, *victims):
        client.close()
