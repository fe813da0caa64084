"""Several chat-servers on one real redis-server are one network (--bus)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from tests.integration.test_history import chathistory, history_client
from tests.support.client import LineClient
from tests.support.redis_server import RedisServer, redis_cluster, redis_server
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server

NODE_TIMEOUT = "3"


@contextmanager
def network(mode: str = "pool", nodes: int = 2,
            redis: RedisServer | None = None) -> Iterator[tuple[RedisServer, list[RunningServer]]]:
    with ExitStack() as stack:
        if redis is None:
            redis = stack.enter_context(redis_server())
        servers = [stack.enter_context(chat_server(mode, *NO_FLOOD_CONTROL, "--bus", redis.url,
                                                   "--node-name", f"node{n}", "--node-timeout", NODE_TIMEOUT,
                                                   "--workers", "2"))
                   for n in range(nodes)]
        yield redis, servers


@pytest.mark.timeout(60)
def test_users_on_two_nodes_chat_as_on_one_server(mode: str) -> None:
    with network(mode) as (_, (a, b)), LineClient(a.address, "alice") as alice, LineClient(b.address, "bob") as bob:
        alice.send("JOIN #both")
        alice.expect(" 366 ")
        bob.send("JOIN #both")
        names = bob.expect(" 353 ")
        assert set(names.params[-1].split()) == {"@alice", "bob"}
        alice.expect(r"^:bob!\S+ JOIN #both")
        bob.send("PRIVMSG #both :hello from node1")
        alice.expect("PRIVMSG #both :hello from node1$")
        alice.send("PRIVMSG bob :and back from node0")
        bob.expect(r"^:alice!\S+ PRIVMSG bob :and back from node0$")
        alice.send("WHOIS bob")
        whois = alice.expect(" 312 ")
        assert "node1" in whois.params[-1]
        alice.send("TOPIC #both :one network")
        bob.expect("TOPIC #both :one network$")


@pytest.mark.timeout(60)
def test_a_nick_claimed_on_two_nodes_at_once_goes_to_exactly_one() -> None:
    with network() as (_, (a, b)):
        for attempt in range(5):
            nick = f"racer{attempt}"
            clients = [LineClient(a.address), LineClient(b.address)]
            start = threading.Barrier(2)

            def claim(client: LineClient, nick: str = nick, start: threading.Barrier = start) -> None:
                start.wait()
                client.send(f"NICK {nick}\r\nUSER x 0 * :x")

            threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcomes = [c.expect(r" (001|433) ").command for c in clients]
            assert sorted(outcomes) == ["001", "433"], outcomes
            for client in clients:
                client.close()


@pytest.mark.timeout(60)
def test_every_member_sees_one_order_whichever_node_serves_them() -> None:
    per_sender = 40
    with network() as (_, (a, b)):
        members = [LineClient(server.address, f"m{n}{i}") for n, server in enumerate((a, b)) for i in range(2)]
        for member in members:
            member.send("CAP REQ echo-message")
            member.send("JOIN #order")
            member.expect(" 366 ")
        for member in members:
            member.send("PING synced")
            member.expect("PONG")
        time.sleep(0.5)  # every JOIN delivered everywhere before anyone speaks

        def speak(member: LineClient) -> None:
            for k in range(per_sender):
                member.send(f"PRIVMSG #order :{member.nick} {k}")

        threads = [threading.Thread(target=speak, args=(m,)) for m in members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = per_sender * len(members)
        seen: list[list[str]] = []
        for member in members:
            lines: list[str] = []
            while len(lines) < total:
                lines.append(member.expect(r"PRIVMSG #order :").params[1])
            seen.append(lines)
            member.close()
        assert all(order == seen[0] for order in seen)


@pytest.mark.timeout(60)
def test_history_said_on_one_node_is_read_on_the_other() -> None:
    with network() as (_, (a, b)), LineClient(a.address, "speaker") as speaker:
        speaker.send("JOIN #kept")
        speaker.expect(" 366 ")
        speaker.send("PRIVMSG #kept :said on node0")
        speaker.send("PING done")
        speaker.expect("PONG")
        with history_client(b.address, "reader") as reader:
            reader.send("JOIN #kept")
            reader.expect(" 366 ")
            assert "said on node0" in chathistory(reader, "#kept")


@pytest.mark.timeout(60)
def test_a_node_killed_with_9_leaves_the_channel_for_everyone_and_frees_its_nicks() -> None:
    with network() as (_, (a, b)), LineClient(a.address, "stays") as stays:
        gone = LineClient(b.address, "goner")
        gone.send("JOIN #watch")
        gone.expect(" 366 ")
        stays.send("JOIN #watch")
        stays.expect(" 366 ")
        killed_at = time.monotonic()
        b.proc.send_signal(signal.SIGKILL)
        quit_ = stays.expect(r"^:goner!\S+ QUIT ", timeout=15)
        assert time.monotonic() - killed_at < 15
        assert "node1" in quit_.params[0]
        stays.send("NAMES #watch")
        assert stays.expect(" 353 ").params[-1].split() == ["stays"]
        stays.send("NICK goner")
        stays.expect(r"^:stays!\S+ NICK :?goner")
        gone.close()


@pytest.mark.timeout(60)
def test_while_redis_is_down_commands_are_refused_and_the_node_resumes_by_itself() -> None:
    with network() as (redis, (a, b)), LineClient(a.address, "patient") as patient, \
            LineClient(b.address, "other") as other:
        other.send("JOIN #outage")
        other.expect(" 366 ")
        patient.send("JOIN #outage")
        patient.expect(" 366 ")
        redis.stop()
        patient.send("PRIVMSG #outage :while it is down")
        patient.expect(r"FAIL PRIVMSG TEMPORARILY_UNAVAILABLE")
        redis.start()  # well within --node-timeout: nobody is declared dead
        deadline = time.monotonic() + 10
        while True:
            patient.send("PRIVMSG #outage :after it came back")
            patient.send("PING probe")
            if patient.expect(r"FAIL PRIVMSG|PONG").command == "PONG":
                break
            assert time.monotonic() < deadline, "the node did not resume"
            time.sleep(0.3)
        other.expect("PRIVMSG #outage :after it came back$")


@pytest.mark.timeout(60)
def test_a_paused_node_that_was_declared_dead_drops_its_clients_when_it_wakes() -> None:
    with network() as (_, (a, b)), LineClient(a.address, "awake") as awake:
        sleeper = LineClient(b.address, "sleeper")
        sleeper.send("JOIN #nap")
        sleeper.expect(" 366 ")
        awake.send("JOIN #nap")
        awake.expect(" 366 ")
        os.kill(b.proc.pid, signal.SIGSTOP)
        try:
            awake.expect(r"^:sleeper!\S+ QUIT ", timeout=10)
        finally:
            os.kill(b.proc.pid, signal.SIGCONT)
        with pytest.raises(ConnectionError):
            sleeper.expect("never", timeout=8)
        sleeper.close()


@pytest.mark.timeout(90)
def test_nodes_on_a_three_master_redis_cluster_are_one_network() -> None:
    with redis_cluster() as url, ExitStack() as stack:
        a, b = (stack.enter_context(chat_server("pool", *NO_FLOOD_CONTROL, "--bus", url, "--node-name", f"c{n}"))
                for n in range(2))
        with LineClient(a.address, "east") as east, LineClient(b.address, "west") as west:
            east.send("JOIN #cluster")
            east.expect(" 366 ")
            west.send("JOIN #cluster")
            west.expect(" 366 ")
            west.send("PRIVMSG #cluster :over three masters")
            east.expect("PRIVMSG #cluster :over three masters$")
            east.send("NICK west")
            east.expect(" 433 ")
