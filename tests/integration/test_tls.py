"""TLS beside plaintext, in every dispatch mode, with certificates made at run time (trustme).

Covers: chatting across the two listeners, +Z and WHOIS 671, the irc package
over TLS, what a wrong-protocol peer gets on either port, a handshake that
stalls, a certificate renewed by REHASH/SIGHUP, and start-up without one.
"""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def write_cert(ca: trustme.CA, where: Path, name: str = "server") -> tuple[str, str]:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert_file, key_file = where / f"{name}.pem", where / f"{name}.key"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return str(cert_file), str(key_file)


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def tls_server(mode: str, ca: trustme.CA, tmp_path: Path) -> Iterator[RunningServer]:
    cert, key = write_cert(ca, tmp_path)
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2", "--tls-port", "0", "--tls-cert", cert,
                     "--tls-key", key, "--registration-timeout", "2") as srv:
        assert srv.tls_port
        yield srv


def tls_address(srv: RunningServer) -> tuple[str, int]:
    return (srv.host, srv.tls_port)


def test_tls_and_plaintext_users_chat(tls_server: RunningServer, ca: trustme.CA) -> None:
    secure = LineClient(tls_address(tls_server), tls=client_context(ca))
    welcome = secure.register("secure")
    assert any(m.command == "004" and "Z" in m.params[3] for m in welcome)
    secure.expect(r"MODE secure :?\+Z")
    assert isinstance(secure.sock, ssl.SSLSocket) and secure.sock.version() in ("TLSv1.2", "TLSv1.3")
    with secure, LineClient(tls_server.address, "plain") as plain:
        for client in (secure, plain):
            client.send("JOIN #mixed")
            client.expect(" 366 ")
        secure.send("PRIVMSG #mixed :over tls")
        plain.expect(":secure!~secure@127.0.0.1 PRIVMSG #mixed :over tls")
        plain.send("PRIVMSG #mixed :in the clear")
        secure.expect(":plain!~plain@127.0.0.1 PRIVMSG #mixed :in the clear")
        plain.send("WHOIS secure")
        plain.expect(" 671 plain secure :is using a secure connection")
        plain.send("WHOIS plain")
        assert "671" not in [m.command for m in plain.expect_until(" 318 ")]
        secure.send("MODE secure -Z")  # nobody can clear it
        secure.send("MODE secure")
        secure.expect(r" 221 secure :?\+Z")


def test_the_irc_package_connects_over_tls(tls_server: RunningServer, ca: trustme.CA) -> None:
    import irc.client
    import irc.connection

    context = client_context(ca)
    reactor = irc.client.Reactor()
    welcomed: list[str] = []
    conn = reactor.server()
    conn.add_global_handler("welcome", lambda c, e: welcomed.append(e.target))
    factory = irc.connection.Factory(wrapper=lambda sock: context.wrap_socket(sock, server_hostname="localhost"))
    conn.connect(tls_server.host, tls_server.tls_port, "ircfan", connect_factory=factory)
    deadline = time.monotonic() + 10
    while not welcomed and time.monotonic() < deadline:
        reactor.process_once(0.1)
    conn.disconnect("bye")
    assert welcomed == ["ircfan"]


def test_plaintext_on_the_tls_port_and_tls_on_the_plaintext_port(tls_server: RunningServer,
                                                                  ca: trustme.CA) -> None:
    with socket.create_connection(tls_address(tls_server), timeout=5) as raw:
        raw.sendall(b"NICK x\r\nUSER x 0 * :x\r\n")
        assert read_until_closed(raw).find(b"001") < 0
    with pytest.raises((ssl.SSLError, ConnectionError)), \
            client_context(ca).wrap_socket(socket.create_connection(tls_server.address, timeout=5),
                                           server_hostname="localhost"):
        pass
    with socket.create_connection(tls_server.address, timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 32)
        assert b"ERROR :This port is plaintext" in read_until_closed(raw)
    with LineClient(tls_server.address, "unbothered"), \
            LineClient(tls_address(tls_server), "alsofine", tls=client_context(ca)):
        pass


def test_a_stalled_handshake_holds_up_nobody_and_is_dropped(tls_server: RunningServer, ca: trustme.CA) -> None:
    stalled = [socket.create_connection(tls_address(tls_server), timeout=10) for _ in range(5)]
    stalled[0].sendall(b"\x16\x03\x01")  # half a record header, then nothing
    try:
        started = time.monotonic()
        with LineClient(tls_address(tls_server), "meanwhile", tls=client_context(ca)) as other:
            other.send("PING :still")
            other.expect("PONG .* :?still")
        assert time.monotonic() - started < 5
        for sock in stalled:  # dropped at the registration timeout (2 s here)
            assert read_until_closed(sock) == b""
    finally:
        for sock in stalled:
            sock.close()


def test_rehash_and_sighup_load_a_renewed_certificate(mode: str, tmp_path: Path) -> None:
    old_ca, new_ca = trustme.CA(), trustme.CA()
    cert, key = write_cert(old_ca, tmp_path)
    config = tmp_path / "server.toml"
    config.write_text(f'tls_port = 0\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
    with chat_server(mode, *NO_FLOOD_CONTROL, "--workers", "2", "--config", str(config)) as srv:
        before = LineClient((srv.host, srv.tls_port), "before", tls=client_context(old_ca))
        write_cert(new_ca, tmp_path)  # renewed in place, as certbot does
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: accepts(srv, new_ca), timeout=10)
        with pytest.raises(ssl.SSLCertVerificationError):
            LineClient((srv.host, srv.tls_port), tls=client_context(old_ca))
        before.send("PING :kept")  # nobody was dropped
        before.expect("PONG .* :?kept")
        before.close()
        (tmp_path / "server.key").write_text("not a key")  # a broken renewal changes nothing
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "REHASH failed" in srv.log_text(), timeout=10)
        assert accepts(srv, new_ca)


def accepts(srv: RunningServer, ca: trustme.CA) -> bool:
    try:
        with LineClient((srv.host, srv.tls_port), "probe", tls=client_context(ca)):
            return True
    except (ssl.SSLError, OSError):
        return False


def test_start_up_without_a_usable_certificate_fails_with_status_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    run = subprocess.run([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0", "--tls-port", "0",
                          "--tls-cert", str(missing), "--tls-key", str(missing), "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "cannot load the TLS certificate" in run.stderr and str(missing) in run.stderr
    run = subprocess.run([sys.executable, "-m", "server", "--port", "0", "--tls-port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "--tls-port needs --tls-cert" in run.stderr


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> bytes:
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    return data
