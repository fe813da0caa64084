"""One order for everyone: every member of a channel sees its events in the same sequence."""

from __future__ import annotations

import threading

import pytest

from tests.support.client import LineClient
from tests.support.servers import RunningServer

SENDERS, RECEIVERS, EACH = 3, 3, 150


@pytest.mark.timeout(90)
def test_every_receiver_sees_the_same_sequence(server: RunningServer) -> None:
    senders = [LineClient(server.address, f"snd{i}", timeout=30) for i in range(SENDERS)]
    receivers = [LineClient(server.address, f"rcv{i}", timeout=30) for i in range(RECEIVERS)]
    everyone = senders + receivers
    for client in everyone:
        client.send("JOIN #order")
        client.expect(" 366 ")
    for sender in senders:
        sender.drain_in_background()

    def blast(sender: LineClient) -> None:
        sender.send("".join(f"PRIVMSG #order :{sender.nick} {n}\r\n" for n in range(EACH)))

    threads = [threading.Thread(target=blast, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    sequences = []
    for receiver in receivers:
        for sender in senders:
            if not any(f":{sender.nick} {EACH - 1}" in line for line in receiver.seen):
                receiver.expect(f"PRIVMSG #order :{sender.nick} {EACH - 1}$")
        sequences.append([line.split(" :", 1)[1] for line in receiver.seen if " PRIVMSG #order :" in line])
    for thread in threads:
        thread.join(10)
    assert len(sequences[0]) == SENDERS * EACH
    assert all(seq == sequences[0] for seq in sequences)
    for sender in senders:  # and each sender's own order is kept within it
        mine = [text for text in sequences[0] if text.startswith(f"{sender.nick} ")]
        assert mine == [f"{sender.nick} {n}" for n in range(EACH)]
    for client in everyone:
        client.close()
