"""Bad input over a real socket: clear answers, and nobody else loses anything."""

from __future__ import annotations

import os
import socket

from tests.support.client import LineClient
from tests.support.servers import RunningServer


def test_overlong_line_gets_417_and_the_connection_is_kept(server: RunningServer) -> None:
    with LineClient(server.address, "longa") as a:
        a.send("PRIVMSG longa :" + "x" * 600)
        a.expect(" 417 longa ")
        a.send("x" * 20000)  # far past any limit, no line end for a long while
        a.expect(" 417 longa ")
        a.send("PING still-here")
        a.expect("PONG chat.local still-here")


def test_unknown_command_is_421(server: RunningServer) -> None:
    with LineClient(server.address, "unk") as a:
        a.send("FROB x y")
        a.expect(" 421 unk FROB ")


def test_missing_parameters_is_461(server: RunningServer) -> None:
    with LineClient(server.address, "few") as a:
        a.send("JOIN")
        a.expect(" 461 few JOIN ")
        a.send("USER")
        a.expect(" 461 few USER ")


def test_invalid_utf8_and_nul_cannot_inject_lines_into_other_streams(server: RunningServer) -> None:
    with LineClient(server.address, "evil") as evil, LineClient(server.address, "victim") as victim:
        for client in (evil, victim):
            client.send("JOIN #safe")
            client.expect(" 366 ")
        evil.expect("JOIN #safe")
        evil.send(b"PRIVMSG #safe :bad \xff\xfe utf8\r\n")  # UTF8ONLY: refused, not relayed
        evil.expect("FAIL PRIVMSG INVALID_UTF8")
        evil.send(b"PRIVMSG #safe :nul\x00QUIT :injected\r\n")
        evil.expect("FAIL \\* BAD_CHARACTER")
        evil.send(b"PRIVMSG #safe :before\rQUIT :forged\r\n")  # a lone CR does not end a line
        evil.expect("FAIL \\* BAD_CHARACTER")
        evil.send("PRIVMSG #safe :after")
        victim.expect("PRIVMSG #safe :after")
        assert not any("injected" in line or "QUIT" in line or "\r" in line for line in victim.seen)
        relayed = [line for line in victim.seen if " PRIVMSG #safe :" in line]
        assert relayed == [":evil!~evil@127.0.0.1 PRIVMSG #safe :after"]


def test_garbage_half_lines_and_abrupt_disconnects_do_not_disturb_others(server: RunningServer) -> None:
    with LineClient(server.address, "calm1") as a, LineClient(server.address, "calm2") as b:
        for client in (a, b):
            client.send("JOIN #calm")
            client.expect(" 366 ")
        for i in range(30):
            raw = socket.create_connection(server.address)
            raw.sendall(os.urandom(2000) if i % 3 else b"NICK half\r\nUSER half 0 * :x\r\nPRIVMSG #calm :no end")
            if i % 2:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            raw.close()
            a.send(f"PRIVMSG #calm :msg {i}")
        b.expect("PRIVMSG #calm :msg 29")
        got = [line for line in b.seen if "PRIVMSG #calm :msg" in line]
        assert len(got) == 30


def test_commands_before_registration_are_451(server: RunningServer) -> None:
    with LineClient(server.address) as a:
        a.send("PRIVMSG #x :hi")
        a.expect(" 451 \\* ")
