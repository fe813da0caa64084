"""A network's history lives in Redis: read on every node, from before a node joined and after a fresh start;
trimmed by retention; private to a conversation's parties; and failed logins counted network-wide."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import cast

import pytest
import redis
from redis.cluster import RedisCluster

from server.log.events import parse_time
from server.protocol import Message
from server.shared.network import connect_bus
from tests.integration.test_accounts import PASSWORD, register
from tests.integration.test_history import HISTORY_CAPS, history_client
from tests.integration.test_network import NODE_TIMEOUT, join
from tests.support.client import LineClient
from tests.support.redis_server import RedisServer, redis_cluster, redis_server
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for

FLAGS = (*NO_FLOOD_CONTROL, "--hash-workers", "1", "--register-throttle", "0/0", "--node-timeout", NODE_TIMEOUT)


@contextmanager
def node(redis_: RedisServer, name: str, *args: str, mode: str = "pool") -> Iterator[RunningServer]:
    """A node with a fresh data directory of its own."""
    with chat_server(mode, *FLAGS, "--bus", redis_.url, "--node-name", name, *args) as server:
        yield server


def history(client: LineClient, *args: str) -> list[Message]:
    """The PRIVMSGs a CHATHISTORY request answers (an empty list if it answers FAIL)."""
    client.send("CHATHISTORY " + " ".join(args))
    lines = client.expect_until(r"^:\S+ BATCH -|^:\S+ FAIL ")
    return [m for m in lines if m.command == "PRIVMSG" and "batch" in m.tags]  # not a live one meanwhile


def texts(messages: list[Message]) -> list[str]:
    return [m.params[1] for m in messages]


def say(client: LineClient, target: str, lines: list[str]) -> list[Message]:
    """Say ``lines`` with echo-message on; the echoes, which carry their msgid and time."""
    for line in lines:
        client.send(f"PRIVMSG {target} :{line}")
    return [client.expect(f"PRIVMSG {target} :{line}$") for line in lines]


def settled(redis_: RedisServer, key: str, count: int) -> None:
    """Wait until the history set ``key`` holds ``count`` entries (they are written just after delivery)."""
    client = redis.Redis.from_url(redis_.url)
    assert wait_for(lambda: client.zcard(key) >= count, 5), f"{key} holds {client.zcard(key)} entries, not {count}"


def newest_says(client: redis.Redis, key: str, word: bytes) -> bool:
    """Whether the newest entry of the history set ``key`` holds ``word``."""
    newest = client.zrange(key, -1, -1)
    return bool(newest) and word in newest[0]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("mode", ["thread", "process"])
def test_what_was_said_before_a_node_started_is_in_its_history_and_join_replay(mode: str) -> None:
    with redis_server() as redis_, node(redis_, "first", mode=mode) as a, history_client(a.address, "alice") as alice:
        join(alice, "#early")
        echoes = say(alice, "#early", [f"early {n}" for n in range(5)])
        settled(redis_, "chat:hist:{#early}", 5)
        with node(redis_, "later", mode=mode) as b:
            with history_client(b.address, "reader") as reader:
                join(reader, "#early")
                got = history(reader, "LATEST", "#early", "*", "10")
                assert texts(got) == [f"early {n}" for n in range(5)]
                # The same message on both nodes: the same msgid and time.
                assert [m.tags["msgid"] for m in got] == [m.tags["msgid"] for m in echoes]
                assert [m.tags["time"] for m in got] == [m.tags["time"] for m in echoes]
                ids = [m.tags["msgid"] for m in echoes]
                assert texts(history(reader, "BEFORE", "#early", f"msgid={ids[3]}", "2")) == ["early 1", "early 2"]
                assert texts(history(reader, "AFTER", "#early", f"msgid={ids[1]}", "2")) == ["early 2", "early 3"]
                assert texts(history(reader, "AROUND", "#early", f"msgid={ids[2]}", "3")) == \
                    ["early 1", "early 2", "early 3"]
                assert texts(history(reader, "BETWEEN", "#early", f"msgid={ids[0]}", f"msgid={ids[4]}", "10")) == \
                    ["early 1", "early 2", "early 3"]
                since = echoes[2].tags["time"]  # later ones may share its millisecond: those are not after it
                assert texts(history(reader, "LATEST", "#early", f"timestamp={since}", "10")) == \
                    [m.params[1] for m in echoes if m.tags["time"] > since]
                reader.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
                            "timestamp=2100-01-01T00:00:00.000Z 10")
                assert reader.expect("CHATHISTORY TARGETS").params[1:] == ("#early", echoes[-1].tags["time"])
            with LineClient(b.address, "plain") as plain:  # no chathistory: the join replays the latest
                plain.send("JOIN #early")
                for n in range(5):
                    plain.expect(f"PRIVMSG #early :early {n}$")


@pytest.mark.timeout(90)
def test_history_survives_a_fresh_data_dir_and_a_redis_restart_and_a_message_said_on_one_node_is_on_all() -> None:
    with redis_server() as redis_:
        with node(redis_, "one") as a, node(redis_, "two") as b, \
                history_client(a.address, "alice") as alice, history_client(b.address, "bob") as bob:
            join(alice, "#kept")
            join(bob, "#kept")
            say(alice, "#kept", ["from one"])
            bob.expect("PRIVMSG #kept :from one$")
            say(bob, "#kept", ["from two"])
            alice.expect("PRIVMSG #kept :from two$")
            settled(redis_, "chat:hist:{#kept}", 2)
            redis_.stop()
            redis_.start()  # its append-only file kept what it acknowledged; it lost its scripts
            attempts = itertools.count()

            def said_after_the_restart() -> bool:
                attempt = next(attempts)
                alice.send(f"PRIVMSG #kept :after the restart {attempt}")
                alice.send(f"PING probe{attempt}")
                return not any(m.command == "FAIL" for m in alice.expect_until(f"PONG .*probe{attempt}"))

            assert wait_for(said_after_the_restart, 10, interval=0.2), "the nodes did not get back on the bus"
            settled(redis_, "chat:hist:{#kept}", 3)
            said = texts(history(bob, "LATEST", "#kept", "*", "10"))
            assert said[:2] == ["from one", "from two"]
            assert said[2:] and all(line.startswith("after the restart") for line in said[2:])
        with node(redis_, "one") as fresh, history_client(fresh.address, "carol") as carol:
            join(carol, "#kept")
            assert texts(history(carol, "LATEST", "#kept", "*", "10")) == said


@pytest.mark.timeout(60)
def test_history_in_redis_keeps_at_most_max_per_target() -> None:
    with redis_server() as redis_, node(redis_, "one", "--history-max-per-target", "3") as a, \
            history_client(a.address, "alice") as alice:
        join(alice, "#short")
        say(alice, "#short", [f"line {n}" for n in range(6)])
        say(alice, "#short", ["last"])
        client = redis.Redis.from_url(redis_.url)
        assert wait_for(lambda: newest_says(client, "chat:hist:{#short}", b"last"), 5)
        assert client.zcard("chat:hist:{#short}") == 3
        with node(redis_, "two") as b, history_client(b.address, "reader") as reader:
            join(reader, "#short")
            assert texts(history(reader, "LATEST", "#short", "*", "10")) == ["line 4", "line 5", "last"]


@pytest.mark.timeout(90)
def test_a_private_conversation_is_read_by_its_two_parties_on_any_node_and_by_nobody_else() -> None:
    with redis_server() as redis_, node(redis_, "one") as a, node(redis_, "two") as b:
        for nick in ("alice", "bob", "carol"):
            register(a.address, nick)
        with history_client(a.address, "alice") as alice, history_client(b.address, "bob") as bob:
            for client, nick in ((alice, "alice"), (bob, "bob")):
                client.send(f"PRIVMSG NickServ :IDENTIFY {nick} {PASSWORD}")
                client.expect(" 900 ")
            say(alice, "bob", ["just between us"])
            bob.expect("PRIVMSG bob :just between us$")
            assert texts(history(bob, "LATEST", "alice", "*", "10")) == ["just between us"]
        with node(redis_, "three") as c:  # started after it was said
            with history_client(c.address, "bob") as bob:
                bob.send(f"PRIVMSG NickServ :IDENTIFY bob {PASSWORD}")
                bob.expect(" 900 ")
                assert texts(history(bob, "LATEST", "alice", "*", "10")) == ["just between us"]
                bob.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z "
                         "timestamp=2100-01-01T00:00:00.000Z 10")
                assert bob.expect("CHATHISTORY TARGETS").params[1] == "alice"
            with history_client(c.address, "carol") as carol:
                carol.send(f"PRIVMSG NickServ :IDENTIFY carol {PASSWORD}")
                carol.expect(" 900 ")
                assert history(carol, "LATEST", "alice", "*", "10") == []
                assert history(carol, "LATEST", "bob", "*", "10") == []
            with history_client(c.address, "mallory") as mallory:  # not logged in, not a party
                assert history(mallory, "LATEST", "alice", "*", "10") == []
                assert history(mallory, "LATEST", "bob", "*", "10") == []


@pytest.mark.timeout(90)
def test_failed_logins_spread_over_nodes_count_against_one_limit() -> None:
    with redis_server() as redis_, node(redis_, "one") as a, node(redis_, "two") as b:
        register(a.address, "alice")
        with LineClient(a.address, "guess1", source="127.0.0.2") as on_a, \
                LineClient(b.address, "guess2", source="127.0.0.2") as on_b:
            for n in range(5):  # the limit is 5 failures per account and address, whichever node
                client = on_a if n % 2 else on_b
                client.send("NS IDENTIFY alice wrong-password")
                client.expect("Invalid account name or password")
            for client in (on_a, on_b):
                client.send(f"NS IDENTIFY alice {PASSWORD}")  # even the right one, from there, for now
                client.expect("Too many failed logins from your address")
        with LineClient(b.address, "owner", source="127.0.0.3") as owner:  # the owner elsewhere gets in
            owner.send(f"NS IDENTIFY alice {PASSWORD}")
            owner.expect(" 900 ")


@pytest.mark.timeout(90)
def test_a_message_redacted_on_one_node_leaves_history_on_every_node() -> None:
    with redis_server() as redis_, node(redis_, "one") as a, node(redis_, "two") as b, \
            history_client(a.address, "alice") as alice, history_client(b.address, "bob") as bob:
        for client in (alice, bob):
            client.send("CAP REQ draft/message-redaction")
            client.expect(" ACK ")
            join(client, "#oops")
        regret, _ = say(alice, "#oops", ["regret", "keep"])
        bob.expect("PRIVMSG #oops :keep$")
        settled(redis_, "chat:hist:{#oops}", 2)
        msgid = regret.tags["msgid"]
        bob.send(f"REDACT #oops {msgid}")  # not bob's message: refused on his node too
        bob.expect(f"FAIL REDACT REDACT_FORBIDDEN #oops {msgid}")
        alice.send(f"REDACT #oops {msgid}")
        assert bob.expect(" REDACT ").params == ("#oops", msgid)  # the msgid bob's node gave it too
        client = redis.Redis.from_url(redis_.url)
        assert wait_for(lambda: client.zcard("chat:hist:{#oops}") == 1, 5)
        assert texts(history(bob, "LATEST", "#oops", "*", "10")) == ["keep"]
        with node(redis_, "three") as c, history_client(c.address, "carol") as carol:
            join(carol, "#oops")
            assert texts(history(carol, "LATEST", "#oops", "*", "10")) == ["keep"]


@pytest.mark.timeout(60)
def test_history_in_redis_forgets_what_is_older_than_history_days() -> None:
    days = 2.0 / 86400  # two seconds
    with redis_server() as redis_, node(redis_, "one", "--history-days", repr(days)) as a, \
            history_client(a.address, "alice") as alice:
        join(alice, "#brief")
        (old,) = say(alice, "#brief", ["old"])
        settled(redis_, "chat:hist:{#brief}", 1)
        # until "old" is older than the two seconds kept (by its time tag: Redis's clock, this machine's)
        assert wait_for(lambda: time.time() > parse_time(old.tags["time"]) + days * 86400 + 0.05, 5)
        say(alice, "#brief", ["new"])
        client = redis.Redis.from_url(redis_.url)
        assert wait_for(lambda: newest_says(client, "chat:hist:{#brief}", b"new"), 5)
        assert client.zcard("chat:hist:{#brief}") == 1
        assert 0 < client.pttl("chat:hist:{#brief}") <= 2000  # a target nobody speaks in goes as a whole
        assert texts(history(alice, "LATEST", "#brief", "*", "10")) == ["new"]


@pytest.mark.timeout(120)
def test_history_on_a_three_master_redis_cluster_is_spread_over_its_masters() -> None:
    with redis_cluster() as url, ExitStack() as stack:
        a, b = (stack.enter_context(chat_server("pool", *FLAGS, "--bus", url, "--node-name", f"c{n}"))
                for n in range(2))
        with history_client(a.address, "east") as east, history_client(b.address, "west") as west:
            channels = [f"#spread{n}" for n in range(4)]  # their sets fall on several masters
            for channel in channels:
                join(east, channel)
                say(east, channel, [f"in {channel}"])
            say(east, "west", ["privately"])
            west.expect("PRIVMSG west :privately$")
            cluster = cast(RedisCluster, connect_bus(url))
            keys = [f"chat:hist:{{{channel}}}" for channel in channels]
            assert wait_for(lambda: all(cluster.zcard(key) == 1 for key in keys), 5), "the history was not written"
            assert len({cluster.get_node_from_key(key).name for key in keys}) > 1
            for channel in channels:
                join(west, channel)
                assert texts(history(west, "LATEST", channel, "*", "10")) == [f"in {channel}"]
            assert texts(history(west, "LATEST", "east", "*", "10")) == ["privately"]


@pytest.mark.timeout(60)
def test_topics_in_redis_history_are_played_back_only_to_clients_that_ask() -> None:
    with redis_server() as redis_:
        with node(redis_, "one") as a, history_client(a.address, "alice") as alice:
            join(alice, "#t")
            for i in range(3):
                alice.send(f"TOPIC #t :topic {i}")
                alice.expect(f"TOPIC #t :topic {i}$")
                say(alice, "#t", [f"message {i}"])
            settled(redis_, "chat:hist:{#t}", 6)
        with node(redis_, "two") as b, history_client(b.address, "plain") as plain, \
                LineClient(b.address) as playback:
            playback.send("CAP LS 302")
            playback.send(f"{HISTORY_CAPS} draft/event-playback")
            playback.expect(" ACK ")
            playback.register_after_cap("player")
            for client in (plain, playback):
                join(client, "#t")
            # Without the cap the limit counts what was said: three messages, not the last three events.
            assert texts(history(plain, "LATEST", "#t", "*", "3")) == [f"message {i}" for i in range(3)]
            playback.send("CHATHISTORY LATEST #t * 4")
            events = [(m.command, m.params[1]) for m in playback.expect_until(r"^:\S+ BATCH -")
                      if m.command in ("TOPIC", "PRIVMSG")]
            assert events == [("TOPIC", "topic 1"), ("PRIVMSG", "message 1"), ("TOPIC", "topic 2"),
                              ("PRIVMSG", "message 2")]
