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
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for

NODE_TIMEOUT = "3"


def join(client: LineClient, channel: str) -> None:
    client.send(f"JOIN {channel}")
    client.expect(" 366 ")


def names(client: LineClient, channel: str) -> set[str]:
    """The nicks NAMES shows in ``channel`` now, as ``client``'s node sees them."""
    client.send(f"NAMES {channel}")
    replies = client.expect_until(" 366 ")
    return {nick.lstrip("@+") for m in replies if m.command == "353" for nick in m.params[-1].split()}


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
        join(alice, "#both")
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
            join(member, "#order")
        everyone = {member.nick for member in members}
        for member in members:  # every JOIN applied on both nodes before anyone speaks
            assert wait_for(lambda m=member: names(m, "#order") == everyone, timeout=10)

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
        join(speaker, "#kept")
        speaker.send("PRIVMSG #kept :said on node0")
        speaker.send("PING done")
        speaker.expect("PONG")
        with history_client(b.address, "reader") as reader:
            join(reader, "#kept")
            assert "said on node0" in chathistory(reader, "#kept")


@pytest.mark.timeout(60)
def test_a_node_killed_with_9_leaves_the_channel_for_everyone_and_frees_its_nicks() -> None:
    with network() as (_, (a, b)), LineClient(a.address, "stays") as stays:
        gone = LineClient(b.address, "goner")
        join(gone, "#watch")
        join(stays, "#watch")
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
        join(other, "#outage")
        join(patient, "#outage")
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
        join(sleeper, "#nap")
        join(awake, "#nap")
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
            join(east, "#cluster")
            join(west, "#cluster")
            west.send("PRIVMSG #cluster :over three masters")
            east.expect("PRIVMSG #cluster :over three masters$")
            east.send("NICK west")
            east.expect(" 433 ")


@pytest.mark.timeout(60)
def test_an_account_registered_on_one_node_logs_in_on_the_other_and_owns_its_nick_everywhere() -> None:
    with network() as (_, (a, b)):
        with LineClient(a.address, "carol") as carol:
            carol.send("PRIVMSG NickServ :REGISTER carol-password")
            carol.expect("Account created")
        with LineClient(b.address, "someone") as other:
            other.send("NICK carol")
            other.expect(" 433 .*reserved")
            other.send("PRIVMSG NickServ :IDENTIFY carol carol-password")
            other.expect(" 900 ")
            other.send("WHOIS someone")
            assert other.expect(" 330 ").params[2] == "carol"
