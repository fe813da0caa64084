"""History over real sockets: replay on join, CHATHISTORY, and both after restarts (clean and kill -9)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from loadtest.memory import descendants
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server

HISTORY_CAPS = "CAP REQ :draft/chathistory batch server-time message-tags echo-message"


def history_client(address: tuple[str, int], nick: str) -> LineClient:
    client = LineClient(address)
    client.send("CAP LS 302")
    client.send(HISTORY_CAPS)
    client.expect(" ACK ")
    client.register_after_cap(nick)
    return client


def chathistory(client: LineClient, target: str, limit: int = 50) -> list[str]:
    client.send(f"CHATHISTORY LATEST {target} * {limit}")
    lines = client.expect_until(r"^:\S+ BATCH -")
    return [m.params[1] for m in lines if m.command == "PRIVMSG"]


def test_plain_clients_get_the_recent_conversation_when_they_join(server) -> None:  # type: ignore[no-untyped-def]
    with LineClient(server.address, "early") as early:
        early.send("JOIN #replay")
        early.expect(" 366 ")
        for n in range(3):
            early.send(f"PRIVMSG #replay :before you came {n}")
        early.send("PING flushed")
        early.expect("PONG")
        with LineClient(server.address, "late") as late:
            late.send("JOIN #replay")
            late.expect(" 366 ")
            for n in range(3):
                late.expect(f"PRIVMSG #replay :before you came {n}$")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("how", ["clean", "kill -9"])
def test_history_survives_a_restart(mode: str, how: str, tmp_path: Path) -> None:
    restart_and_read_back(mode, how, tmp_path)


@pytest.mark.timeout(60)
def test_fsync_everysec_still_survives_kill_9_of_the_server(tmp_path: Path) -> None:
    # Only a power cut or a kernel crash can take the last second: the kernel has every commit.
    restart_and_read_back("pool", "kill -9", tmp_path, "--fsync", "everysec")


def restart_and_read_back(mode: str, how: str, tmp_path: Path, *flags: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, *flags, data_dir=tmp_path) as srv, \
            history_client(srv.address, "writer") as writer, history_client(srv.address, "reader") as reader:
        for client in (writer, reader):
            client.send("JOIN #durable")
            client.expect(" 366 ")
        reader.send("NS REGISTER reader-password")  # private history outlives a connection only with an account
        reader.expect("Account created")
        writer.send("TOPIC #durable :kept across restarts")
        writer.send("MODE #durable +s")
        writer.send("NS REGISTER writer-password")  # only a registered channel keeps its topic and modes
        writer.send("CS REGISTER #durable")
        writer.expect("#durable is registered to your account writer")
        writer.send("JOIN #fleeting")
        writer.send("TOPIC #fleeting :gone with its last member")
        writer.expect("TOPIC #fleeting")
        for n in range(20):
            writer.send(f"PRIVMSG #durable :yesterday {n}")
        writer.send("PRIVMSG reader :a private word")
        reader.expect("PRIVMSG #durable :yesterday 19")  # received, so it is on disk
        reader.expect("PRIVMSG reader :a private word")
        if how == "kill -9":
            for pid in descendants(srv.proc.pid):
                os.kill(pid, signal.SIGKILL)
            srv.proc.wait(10)
    with chat_server(mode, *NO_FLOOD_CONTROL, *flags, data_dir=tmp_path) as srv, \
            history_client(srv.address, "reader") as reader:
        reader.send("JOIN #durable")
        assert reader.expect(" 332 reader #durable ").params[-1] == "kept across restarts"
        assert reader.expect(" 353 reader ").params[1] == "@"  # +s kept: a secret channel
        reader.expect(" 366 ")
        reader.send("JOIN #fleeting")  # not registered: a new channel, no topic
        assert reader.expect(" 331 reader #fleeting | 353 reader ").command == "353"
        assert chathistory(reader, "#durable") == [f"yesterday {n}" for n in range(20)]
        assert chathistory(reader, "writer") == []  # whoever holds the nick now reads nothing private...
        reader.send("NS IDENTIFY reader-password")
        reader.expect("You are now logged in as reader")
        assert chathistory(reader, "writer") == ["a private word"]  # ...until they log in to its account


def test_echo_message_gives_the_sender_the_msgid_everyone_else_got(server) -> None:  # type: ignore[no-untyped-def]
    with history_client(server.address, "talker") as talker, history_client(server.address, "hearer") as hearer:
        for client in (talker, hearer):
            client.send("JOIN #echo")
            client.expect(" 366 ")
        talker.send("PRIVMSG #echo :do you hear me")
        mine = talker.expect("PRIVMSG #echo :do you hear me")
        theirs = hearer.expect("PRIVMSG #echo :do you hear me")
        assert mine.tags["msgid"] == theirs.tags["msgid"] and mine.tags["time"] == theirs.tags["time"]


def test_labeled_response_wraps_a_labelled_command(server) -> None:  # type: ignore[no-untyped-def]
    with LineClient(server.address) as client:
        client.send("CAP REQ :labeled-response batch")
        client.expect(" ACK ")
        client.register_after_cap("labeller")
        client.send("@label=abc WHOIS labeller")
        opening = client.expect(" BATCH \\+")
        assert opening.tags == {"label": "abc"} and opening.params[1] == "labeled-response"
        lines = client.expect_until(" BATCH -")
        assert all(m.tags.get("batch") == opening.params[0][1:] for m in lines[:-1])
        client.send("@label=def PING x")
        assert client.expect("PONG").tags == {"label": "def"}
