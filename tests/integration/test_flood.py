"""Flood control (fake lag), on by default: past a burst, commands are delayed to a rate, never dropped.

The rates here are faster than the defaults so the tests stay short; the
timing checks are lower bounds (a server cannot relay faster than its rate,
however loaded the machine), with generous upper bounds from the timeouts.
"""

from __future__ import annotations

import time

import pytest

from tests.support.client import LineClient
from tests.support.servers import chat_server, wait_for


def all_join(channel: str, *clients: LineClient) -> None:
    for client in clients:
        client.send(f"JOIN {channel}")
        client.expect(" 366 ")


@pytest.mark.timeout(60)
def test_a_flood_is_delayed_to_the_rate_in_order_and_nothing_is_dropped(mode: str) -> None:
    with chat_server(mode, "--flood-burst", "3", "--flood-rate", "10") as srv, \
            LineClient(srv.address, "flooder") as flooder, LineClient(srv.address, "reader") as reader:
        all_join("#flood", flooder, reader)  # the JOIN's token may not be back: that only slows the flood
        started = time.monotonic()
        flooder.send("".join(f"PRIVMSG #flood :m{n}\r\n" for n in range(30)).encode())
        got = [reader.expect(f"PRIVMSG #flood :m{n}$", timeout=15).params[-1] for n in range(30)]
        elapsed = time.monotonic() - started
        assert got == [f"m{n}" for n in range(30)]
        assert elapsed >= (30 - 3) / 10 * 0.9  # 3 at once, then 10 a second
        flooder.send("PING :still-here")  # delayed, not disconnected
        flooder.expect("PONG .* :?still-here")


def test_ping_pong_and_quit_are_not_counted(mode: str) -> None:
    with chat_server(mode, "--flood-burst", "2", "--flood-rate", "0.5") as srv, \
            LineClient(srv.address, "pinger") as pinger, LineClient(srv.address, "reader") as reader:
        all_join("#p", pinger, reader)
        time.sleep(2.1)  # time itself is the condition: the bucket is full again (2 tokens at 0.5 a second)
        pinger.send(b"PRIVMSG #p :one\r\nPRIVMSG #p :two\r\n" + b"".join(b"PING :p%d\r\n" % n for n in range(10))
                    + b"PRIVMSG #p :three\r\n")
        for n in range(10):  # answered at once: they came before the third message, which must wait
            pinger.expect(f"PONG .* :?p{n}$", timeout=1.5)
        reader.expect("PRIVMSG #p :two")
        with pytest.raises(AssertionError):  # its token comes 2 s after the burst's
            reader.expect("PRIVMSG #p :three", timeout=0.5)
        reader.expect("PRIVMSG #p :three", timeout=5)


def test_nick_and_join_part_floods_are_slowed_too(mode: str) -> None:
    with chat_server(mode, "--flood-burst", "2", "--flood-rate", "5") as srv, \
            LineClient(srv.address, "shifty") as shifty, LineClient(srv.address, "watcher") as watcher:
        all_join("#w", shifty, watcher)
        started = time.monotonic()
        shifty.send("".join(f"NICK shifty{n}\r\nPART #w\r\nJOIN #w\r\n" for n in range(4)).encode())
        watcher.expect(":shifty3!.* JOIN :?#w", timeout=10)
        assert time.monotonic() - started >= (12 - 2) / 5 * 0.9


def test_input_past_the_recvq_is_an_excess_flood_and_costs_nobody_else(mode: str) -> None:
    with chat_server(mode, "--recvq", "2048") as srv, LineClient(srv.address, "flooder") as flooder, \
            LineClient(srv.address, "calm1") as calm1, LineClient(srv.address, "calm2") as calm2:
        all_join("#c", flooder, calm1, calm2)
        flooder.send("".join(f"PRIVMSG #c :flood {n:04d} {'x' * 40}\r\n" for n in range(200)).encode())
        flooder.expect("^ERROR :Excess Flood")
        calm1.expect("QUIT :Excess Flood")
        calm1.send("PRIVMSG #c :still chatting")
        calm2.expect("PRIVMSG #c :still chatting")
        assert wait_for(lambda: "Excess Flood" in srv.log_text())  # the test reads the log on a thread of its own
        relayed = [line for line in calm2.seen if "PRIVMSG #c :flood" in line]
        assert len(relayed) < 200  # the burst went out, what was held back was not


def test_a_megabyte_without_a_newline_is_refused_once_and_the_connection_lives(mode: str) -> None:
    with chat_server(mode) as srv, LineClient(srv.address, "long") as client:
        client.sock.sendall(b"PRIVMSG #x :" + b"y" * (1 << 20))
        client.send(b"\r\nPING :after\r\n")
        client.expect(" 417 long ")
        client.expect("PONG .* :?after", timeout=10)
        assert sum(" 417 " in line for line in client.seen) == 1
