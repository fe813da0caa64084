"""A client that stops reading is dropped at the SendQ limit; everyone else gets everything."""

from __future__ import annotations

import functools
import socket
import threading

import pytest

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server, wait_for


@pytest.mark.timeout(90)
def test_stalled_reader_is_disconnected_and_others_receive_every_message(mode: str) -> None:
    with chat_server(mode, *NO_FLOOD_CONTROL, "--sendq", "65536") as srv:
        stalled = socket.create_connection(srv.address)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(b"NICK stalled\r\nUSER s 0 * :s\r\nJOIN #busy\r\n")
        senders = [LineClient(srv.address, f"talker{i}") for i in range(2)]
        reader = LineClient(srv.address, "reader", timeout=30)
        for client in (*senders, reader):
            client.send("JOIN #busy")
            client.expect(" 366 ")
        for sender in senders:
            sender.drain_in_background()  # senders read what they are sent; only "stalled" does not
        total = 3000
        errors: list[BaseException] = []

        def read_all() -> None:
            try:
                reader.expect(f"PRIVMSG #busy :message {total - 1} ", timeout=60)
                if not any(f":message {total - 2} " in line for line in reader.seen):
                    reader.expect(f"PRIVMSG #busy :message {total - 2} ", timeout=60)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        reading = threading.Thread(target=read_all)
        reading.start()
        def caught_up_to(sent: int) -> bool:
            return len(reader.seen) >= sent - 100

        for n in range(total):
            if n % 100 == 0:  # the reader stays within 100 lines (30 KB) of the senders, however loaded the machine
                assert wait_for(functools.partial(caught_up_to, n), 30)
            senders[n % 2].send(f"PRIVMSG #busy :message {n} " + "x" * 250)
        reading.join(70)
        assert not errors and not reading.is_alive()
        for i, sender in enumerate(senders):  # each sender's messages: all there, in its order
            got = [line.split(":message ")[1].split()[0] for line in reader.seen
                   if ":message " in line and line.startswith(f":{sender.nick}!")]
            assert got == [str(n) for n in range(i, total, 2)]
        if not any(line.startswith(":stalled!") for line in reader.seen):
            reader.expect("^:stalled!", timeout=20)
        quits = [line for line in reader.seen if line.startswith(":stalled!")]
        assert quits == [":stalled!~s@127.0.0.1 QUIT :SendQ exceeded"]
        assert wait_for(lambda: "SendQ exceeded" in srv.log_text(), 5)
        for client in (*senders, reader):
            client.close()
        stalled.close()
