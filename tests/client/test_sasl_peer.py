"""chat-client logging in over a real socket to a scripted IRC peer that speaks SASL 3.2 as the spec says.

The peer checks the SCRAM proof with tests/client/scram_server.py (written from the RFCs) and
PLAIN by comparing the password; it records every line it got, so a test can show a password
never crossed a connection it must not cross.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import shutil
import ssl
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from client.cli import SASL_ENV, SASL_ENV_OLD
from client.ui.layout import status_bar
from server.protocol import LineBuffer, parse_line
from tests.client.conftest import HOST, Running, Tmux, client_command, client_env, running_app, wait_until
from tests.client.scram_server import ScramServer, ScramVerifier

pytestmark = pytest.mark.timeout(60)

ACCOUNT, PASSWORD = "ada", "correct horse"


@dataclass
class SaslPeer:
    """One scripted server: CAP LS 302 with sasl=<mechanisms>, AUTHENTICATE per IRCv3 SASL 3.2, then 001."""

    mechanisms: tuple[str, ...]
    verifier: ScramVerifier = field(default_factory=lambda: ScramVerifier.for_password(PASSWORD))
    received: list[str] = field(default_factory=list)
    nick: str = "*"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = LineBuffer()
        mech: str | None = None
        scram: ScramServer | None = None
        pieces: list[str] = []
        registered = False

        def send(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        def outcome(ok: bool) -> None:
            nonlocal mech
            if ok:
                send(f":peer 900 {self.nick} {self.nick}!u@h {ACCOUNT} :You are now logged in as {ACCOUNT}")
                send(f":peer 903 {self.nick} :SASL authentication successful")
            else:
                send(f":peer 904 {self.nick} :SASL authentication failed")
            mech = None

        while data := await reader.read(65536):
            buffer.feed(data)
            for raw in buffer.lines():
                if not isinstance(raw, bytes):
                    continue
                self.received.append(raw.decode(errors="replace"))
                msg = parse_line(raw)
                if msg.command == "NICK":
                    self.nick = msg.params[0]
                elif msg.command == "CAP" and msg.params[0] == "LS":
                    send(f":peer CAP * LS :sasl={','.join(self.mechanisms)} server-time")
                elif msg.command == "CAP" and msg.params[0] == "REQ":
                    send(f":peer CAP {self.nick} ACK :{msg.params[1]}")
                elif msg.command == "CAP" and msg.params[0] == "END" and not registered:
                    registered = True
                    send(f":peer 001 {self.nick} :Welcome to the scripted peer")
                elif msg.command == "AUTHENTICATE" and mech is None:
                    if msg.params[0] in self.mechanisms:
                        mech = msg.params[0]
                        scram = ScramServer(self.verifier) if mech == "SCRAM-SHA-256" else None
                        send("AUTHENTICATE +")
                    else:
                        send(f":peer 908 {self.nick} {','.join(self.mechanisms)} :are available SASL mechanisms")
                        send(f":peer 904 {self.nick} :SASL authentication failed")
                elif msg.command == "AUTHENTICATE":
                    piece = msg.params[0]
                    if piece == "*":
                        send(f":peer 906 {self.nick} :SASL authentication aborted")
                        mech = None
                        continue
                    if piece != "+":
                        pieces.append(piece)
                    if len(piece) == 400:
                        continue
                    data_in, pieces = base64.b64decode("".join(pieces)), []
                    if mech == "PLAIN":
                        outcome(data_in == f"\0{ACCOUNT}\0{PASSWORD}".encode())
                    elif scram is not None and not scram.username:
                        send("AUTHENTICATE " + base64.b64encode(scram.challenge(data_in)).decode())
                    elif scram is not None and data_in:
                        final = scram.check(data_in)
                        if final is None:
                            outcome(False)
                        else:
                            send("AUTHENTICATE " + base64.b64encode(final).decode())
                    else:  # the client's empty answer to our server-final: it accepted our signature
                        outcome(scram is not None and scram.username == ACCOUNT)
            await writer.drain()
        writer.close()

    def saw_password(self) -> bool:
        clear = base64.b64encode(f"\0{ACCOUNT}\0{PASSWORD}".encode()).decode()
        return any(PASSWORD in line or clear in line for line in self.received)


@contextlib.asynccontextmanager
async def peer_listening(peer: SaslPeer, context: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    server = await asyncio.start_server(peer.serve, HOST, 0, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


def server_lines(run: Running) -> list[str]:
    return [line.text for line in run.chat.state.server_window.lines]


def has_line(run: Running, text: str) -> bool:
    return any(text in line for line in server_lines(run))


async def connected(run: Running) -> None:
    await wait_until(lambda: run.chat.state.status == "connected", what="registration to finish")


def test_scram_login_over_plain_tcp_never_sends_the_password() -> None:
    peer = SaslPeer(("SCRAM-SHA-256", "PLAIN"))

    async def scenario() -> None:
        async with peer_listening(peer) as port, running_app(port, "alice", channels=(), account=ACCOUNT,
                                                              account_password=PASSWORD) as run:
            await wait_until(lambda: has_line(run, "Logged in as ada"), what="the 900 line")
            await connected(run)
            assert has_line(run, "SASL login as ada succeeded (SCRAM-SHA-256)")
            assert run.chat.state.account == ACCOUNT
            assert f"alice [{ACCOUNT}]" in "".join(text for _, text, *_ in status_bar(run.chat))

    asyncio.run(scenario())
    assert any(line.startswith("AUTHENTICATE SCRAM-SHA-256") for line in peer.received)
    assert not peer.saw_password()


def test_plain_only_over_plain_tcp_is_refused_and_the_password_stays_home() -> None:
    peer = SaslPeer(("PLAIN",))

    async def scenario() -> None:
        async with peer_listening(peer) as port, running_app(port, "alice", channels=(), account=ACCOUNT,
                                                              account_password=PASSWORD) as run:
            await connected(run)
            assert has_line(run, "Not sending the password for ada")
            assert has_line(run, "--allow-plaintext-password")
            assert run.chat.state.account is None

    asyncio.run(scenario())
    assert not any(line.startswith("AUTHENTICATE") for line in peer.received)
    assert not peer.saw_password()


def test_plain_over_tls_logs_in(tmp_path: Path) -> None:
    peer = SaslPeer(("PLAIN",))
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    async def scenario() -> None:
        async with peer_listening(peer, context) as port, \
                running_app(port, "alice", channels=(), account=ACCOUNT, account_password=PASSWORD, tls=True,
                            tls_ca=ca_file) as run:
            await wait_until(lambda: has_line(run, "SASL login as ada succeeded (PLAIN)"), what="PLAIN over TLS")
            assert run.chat.state.account == ACCOUNT

    asyncio.run(scenario())


def test_a_wrong_password_is_shown_and_the_session_goes_on() -> None:
    peer = SaslPeer(("SCRAM-SHA-256",))

    async def scenario() -> None:
        async with peer_listening(peer) as port, running_app(port, "alice", channels=(), account=ACCOUNT,
                                                              account_password="wrong") as run:
            await wait_until(lambda: has_line(run, "failed (904"), what="the 904 line")
            await connected(run)
            assert run.chat.state.account is None

    asyncio.run(scenario())


def test_login_typed_after_registration_logs_in_and_stays_out_of_history() -> None:
    peer = SaslPeer(("SCRAM-SHA-256",))

    async def scenario() -> None:
        async with peer_listening(peer) as port, running_app(port, "alice", channels=()) as run:
            await connected(run)
            run.type(f"/login {ACCOUNT} {PASSWORD}\r")
            await wait_until(lambda: run.chat.state.account == ACCOUNT, what="/login to log in")
            assert has_line(run, "SASL login as ada succeeded (SCRAM-SHA-256)")
            history = list(run.chat.input.buffer.history.get_strings())
            assert not any(PASSWORD in entry for entry in history), history
            run.type("/help\r")  # an ordinary command still goes to the history
            await wait_until(lambda: "/help" in list(run.chat.input.buffer.history.get_strings()),
                             what="/help in the history")

    asyncio.run(scenario())
    assert not peer.saw_password()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")
def test_the_password_is_asked_without_echo_then_used_for_scram(tmux: Tmux, tmp_path: Path) -> None:
    peer = SaslPeer(("SCRAM-SHA-256", "PLAIN"))
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(peer.serve, HOST, 0))
    port = int(server.sockets[0].getsockname()[1])
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        command = client_command(port).replace(" -m client", " -m client --join '' --account ada --nick alice")
        tmux.start("ada", f"env -u {SASL_ENV} -u {SASL_ENV_OLD} {command}", client_env(tmp_path))
        tmux.wait_for("ada", "Password for the account ada:")
        tmux.run("send-keys", "-t", "ada", "-l", PASSWORD)
        tmux.run("send-keys", "-t", "ada", "Enter")
        screen = tmux.wait_for("ada", "SASL login as ada succeeded (SCRAM-SHA-256)")
        assert "alice [ada]" in screen.splitlines()[0]
        assert PASSWORD not in screen
        tmux.run("send-keys", "-t", "ada", "/quit", "Enter")
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()
    assert not peer.saw_password()
