"""Accounts over real sockets, in every dispatch mode: register, log out, log in (SASL PLAIN, SCRAM-SHA-256,
PASS, IDENTIFY), the nick rule, the bad input of issue 17, and what survives a restart and kill -9."""

from __future__ import annotations

import base64
import os
import signal
from pathlib import Path

import pytest

from loadtest.memory import descendants
from tests.integration.test_irc_library import Recorder
from tests.support.client import LineClient
from tests.support.scram_client import ScramClient
from tests.support.servers import NO_FLOOD_CONTROL, chat_server

FLAGS = (*NO_FLOOD_CONTROL, "--hash-workers", "1", "--register-throttle", "0/0", "--nick-grace", "2")
PASSWORD = "correct-horse"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def register(address: tuple[str, int], nick: str, password: str = PASSWORD) -> None:
    with LineClient(address, nick) as c:
        c.send(f"PRIVMSG NickServ :REGISTER {password}")
        c.expect(f"NOTICE {nick} :Account created")
        c.expect(f" 900 {nick} {nick}!~{nick}@127.0.0.1 {nick} ")
        c.send("NS LOGOUT")
        c.expect(f" 901 {nick} ")
        c.expect("You are now logged out")
        leave(c)


def leave(c: LineClient) -> None:
    """Quit and wait for the server's goodbye: the nick is free once it is said."""
    c.send("QUIT")
    c.expect("^ERROR ")


def sasl_client(address: tuple[str, int], mechanism: str, source: str | None = None) -> LineClient:
    c = LineClient(address, source=source)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl")
    c.expect("ACK :?sasl")
    c.send(f"AUTHENTICATE {mechanism}")
    c.expect("^AUTHENTICATE \\+")
    return c


def finish(c: LineClient, nick: str) -> None:
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :{nick}")
    c.send("CAP END")
    c.expect(" 001 ")


def scram_login(address: tuple[str, int], account: str, password: str) -> LineClient:
    c = sasl_client(address, "SCRAM-SHA-256")
    client = ScramClient(account, password)
    c.send("AUTHENTICATE " + b64(client.first()))
    challenge = c.expect("^AUTHENTICATE ")
    c.send("AUTHENTICATE " + b64(client.final(base64.b64decode(challenge.params[0]))))
    server_final = c.expect("^AUTHENTICATE | 904 ")
    assert server_final.command == "AUTHENTICATE", server_final
    assert client.verify_server(base64.b64decode(server_final.params[0]))
    c.send("AUTHENTICATE +")
    c.expect(f" 900 \\* \\* {account} ")
    c.expect(" 903 ")
    return c


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_register_log_out_and_log_in_every_way(mode: str) -> None:
    with chat_server(mode, *FLAGS) as srv:
        register(srv.address, "alice")
        with sasl_client(srv.address, "PLAIN") as c:
            c.send("AUTHENTICATE " + b64(b"\0alice\0" + PASSWORD.encode()))
            c.expect(" 900 \\* \\* alice ")
            c.expect(" 903 ")
            finish(c, "alice")
            c.send("WHOIS alice")
            c.expect(" 330 alice alice alice :is logged in as")
            c.send("AUTHENTICATE PLAIN")
            c.expect(" 907 alice ")
            leave(c)
        with scram_login(srv.address, "alice", PASSWORD) as c:
            finish(c, "alice")
            leave(c)
        with LineClient(srv.address) as c:
            c.send(f"PASS alice:{PASSWORD}")
            c.register("alice")
            assert any(" 900 alice " in line for line in c.seen)
            leave(c)
        with LineClient(srv.address, "other") as c:
            c.send(f"NS IDENTIFY alice {PASSWORD}")
            c.expect(" 900 other other!~other@127.0.0.1 alice ")
            c.send("NICK alice")  # the account's own nick: allowed
            c.expect("NICK alice")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_bad_input_gets_clear_refusals(mode: str) -> None:
    with chat_server(mode, *FLAGS) as srv:
        register(srv.address, "alice")
        with sasl_client(srv.address, "PLAIN") as c:
            c.send("AUTHENTICATE " + b64(b"\0alice\0wrong-password"))
            c.expect(" 904 \\* :SASL authentication failed: Invalid account name or password")
            c.send("AUTHENTICATE PLAIN")
            c.send("AUTHENTICATE " + b64(b"\0nobody\0whatever-pw"))
            c.expect(" 904 \\* :SASL authentication failed: Invalid account name or password")
            c.send("AUTHENTICATE PLAIN")
            c.send("AUTHENTICATE !!!")
            c.expect(" 904 \\* :SASL authentication failed: the AUTHENTICATE payload is not valid base64")
            c.send("AUTHENTICATE PLAIN")
            c.send("AUTHENTICATE " + "A" * 401)
            c.expect(" 905 \\* ")
            c.send("AUTHENTICATE PLAIN")
            for _ in range(21):
                c.send("AUTHENTICATE " + "A" * 400)
            c.expect(" 904 \\* :SASL authentication failed: the SASL payload is over 8192 bytes")
            c.send("AUTHENTICATE PLAIN")
            c.send("AUTHENTICATE *")
            c.expect(" 906 \\* ")
            c.send("AUTHENTICATE SCRAM-SHA-256")
            c.send("AUTHENTICATE " + b64(b"c=biws,r=abc,p=AAAA"))  # the final step first
            c.expect(" 904 \\* :SASL authentication failed: ")
            finish(c, "bob")  # the connection is still good
        with sasl_client(srv.address, "SCRAM-SHA-256") as c:
            liar = ScramClient("alice", "not-the-password")
            c.send("AUTHENTICATE " + b64(liar.first()))
            challenge = c.expect("^AUTHENTICATE ")
            c.send("AUTHENTICATE " + b64(liar.final(base64.b64decode(challenge.params[0]))))
            c.expect(" 904 \\* :SASL authentication failed: wrong password")
            honest = ScramClient("alice", PASSWORD)
            c.send("AUTHENTICATE SCRAM-SHA-256")
            c.send("AUTHENTICATE " + b64(honest.first()))
            challenge = c.expect("^AUTHENTICATE [^+]")
            c.send("AUTHENTICATE " + b64(honest.final(base64.b64decode(challenge.params[0]),
                                                      nonce=honest.nonce + "replayed")))
            c.expect(" 904 \\* :SASL authentication failed: the nonce does not match")
        with LineClient(srv.address) as c:  # draft/account-registration: existing account, taken email
            c.send("CAP REQ draft/account-registration")
            c.send("NICK alice")
            c.send("REGISTER * * long-password")
            c.expect("FAIL REGISTER ACCOUNT_EXISTS alice ")
            c.send("NICK carol")
            c.send("REGISTER * carol@example.org long-password")
            c.expect("REGISTER SUCCESS carol ")
        with LineClient(srv.address) as c:
            c.send("NICK dave")
            c.send("REGISTER * CAROL@example.org long-password")
            c.expect("FAIL REGISTER UNACCEPTABLE_EMAIL dave ")
            c.send("REGISTER erin * long-password")  # a nick another connection may hold: not ours to register
            c.expect("FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK erin ")
            c.send("NICK carol")
            c.send("USER d 0 * :d")
            c.expect(" 001 carol ")
            c.send("NS REGISTER short")
            c.expect("Password too short: use at least 8 characters")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_a_login_storm_is_throttled_but_the_owner_elsewhere_gets_in(mode: str) -> None:
    with chat_server(mode, *FLAGS) as srv:
        register(srv.address, "alice")
        with LineClient(srv.address, "mallory", source="127.0.0.2") as c:
            for _ in range(5):
                c.send("NS IDENTIFY alice wrong-password")
                c.expect("Invalid account name or password")
            c.send(f"NS IDENTIFY alice {PASSWORD}")  # even the right one, from here, for now
            c.expect("Too many failed logins from your address")
        with sasl_client(srv.address, "PLAIN", source="127.0.0.2") as c:
            c.send("AUTHENTICATE " + b64(b"\0alice\0" + PASSWORD.encode()))
            c.expect(" 904 \\* :SASL authentication failed: Too many failed logins")
        with sasl_client(srv.address, "PLAIN", source="127.0.0.3") as c:
            c.send("AUTHENTICATE " + b64(b"\0alice\0" + PASSWORD.encode()))
            c.expect(" 903 ")
        assert "failed login to 'alice' from 127.0.0.2" in srv.log_text()
        assert "refused" in srv.log_text()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_a_registered_nick_and_channel_survive_restarts_and_belong_to_the_account(mode: str, tmp_path: Path) -> None:
    with chat_server(mode, *FLAGS, data_dir=tmp_path) as srv:
        register(srv.address, "alice")
        with LineClient(srv.address, "bob") as bob, LineClient(srv.address, "owner") as owner:
            bob.send("NICK alice")
            bob.expect(" 433 bob alice :Nickname is reserved by a registered account")
            with LineClient(srv.address, "alice") as squatter:
                squatter.expect("NOTICE alice :The nick alice belongs to a registered account")
                owner.send(f"NS IDENTIFY alice {PASSWORD}")
                owner.expect("You are now logged in as alice")
                owner.send("NS GHOST alice")
                owner.expect("alice has been disconnected")
                squatter.expect("^ERROR :Killed .*GHOST command used by owner")
            owner.send("NICK alice")
            owner.expect(":owner!~owner@127.0.0.1 NICK alice")
            owner.send("JOIN #home")
            owner.expect(" 366 alice #home ")
            owner.send("CS REGISTER #home")
            owner.expect("NOTICE alice :#home is registered to your account alice")
        for pid in descendants(srv.proc.pid):  # kill -9: no clean shutdown
            os.kill(pid, signal.SIGKILL)
        srv.proc.wait(10)
    with chat_server(mode, *FLAGS, data_dir=tmp_path) as srv:
        with LineClient(srv.address, "alice") as squatter:
            squatter.expect("belongs to a registered account. Log in within 2 seconds")
            squatter.expect(":alice!~alice@127.0.0.1 NICK Guest\\d{5}", timeout=6)
            squatter.expect("did not log in to the account that owns alice in time")
        with LineClient(srv.address, "early") as early, scram_login(srv.address, "alice", PASSWORD) as c:
            early.send("JOIN #home")
            early.expect(" 366 early #home ")
            finish(c, "alice")
            c.send("NS INFO")
            c.expect("NOTICE alice :Account alice, registered ")
            c.send("JOIN #home")  # the founder, though someone else was there first: operator
            c.expect(" 353 alice = #home :.*@alice")
            early.expect(":ChanServ!ChanServ@services. MODE #home \\+o alice")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_the_irc_package_logs_in_with_sasl_and_sees_the_account(mode: str) -> None:
    """An independent client: its own SASL PLAIN; account-notify, extended-join and account-tag as it parses them."""
    with chat_server(mode, *FLAGS) as srv:
        register(srv.address, "alice")
        rec = Recorder(srv)
        watcher = rec.connect("watcher")
        watcher.cap("REQ", "account-notify", "extended-join", "account-tag")
        rec.until(lambda: rec.saw("watcher", "cap", lambda e: "ACK" in e.arguments))
        watcher.join("#acc")
        rec.until(lambda: rec.saw("watcher", "endofnames"))
        alice = rec.reactor.server().connect(srv.host, srv.port, "alice", password=PASSWORD, sasl_login="alice")
        rec.until(lambda: rec.saw("alice", "welcome"))
        assert rec.saw("alice", "loggedin") and rec.saw("alice", "saslsuccess")
        alice.join("#acc")
        rec.until(lambda: rec.saw("watcher", "join", lambda e: e.source.nick == "alice"))
        join = next(e for n, t, e in rec.events if n == "watcher" and t == "join" and e.source.nick == "alice")
        assert join.arguments[:1] == ["alice"]  # extended-join: the account, then the realname
        alice.privmsg("#acc", "signed")
        rec.until(lambda: rec.saw("watcher", "pubmsg", lambda e: e.arguments == ["signed"]))
        msg = next(e for n, t, e in rec.events if n == "watcher" and t == "pubmsg")
        assert {"key": "account", "value": "alice"} in (msg.tags or [])
        alice.send_raw("NS LOGOUT")
        rec.until(lambda: rec.saw("watcher", "account", lambda e: e.source.nick == "alice"))
        logout = next(e for n, t, e in rec.events if n == "watcher" and t == "account")
        assert logout.target == "*"
        alice.disconnect("done")
        watcher.disconnect("done")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_registration_options_reach_every_worker(mode: str) -> None:
    """--register-before-connect off and --register-email required, as the workers' REGISTER applies them."""
    flags = (*FLAGS, "--register-before-connect", "off", "--register-email", "required")
    with chat_server(mode, *flags) as srv, LineClient(srv.address) as c:
        c.send("CAP LS 302")
        c.expect("draft/account-registration=email-required( |$)")
        c.send("CAP REQ draft/account-registration")
        c.send("NICK frank")
        c.send("REGISTER * frank@example.org long-password")
        c.expect("FAIL REGISTER COMPLETE_CONNECTION_REQUIRED \\* ")
        c.send("USER f 0 * :f")
        c.send("CAP END")
        c.expect(" 001 frank ")
        c.send("REGISTER * * long-password")
        c.expect("FAIL REGISTER INVALID_EMAIL frank ")
        c.send("REGISTER * frank@example.org long-password")
        c.expect("REGISTER SUCCESS frank ")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["thread", "pool", "process"])
def test_a_read_marker_reaches_the_accounts_other_session(mode: str) -> None:
    """draft/read-marker: a MARKREAD by one session of an account is sent to its other sessions (in process
    mode on another worker, through the shared log), and to nobody else."""
    from tests.integration.test_process_mode import clients_on_two_workers

    with chat_server(mode, *FLAGS, "--workers", "2") as srv:
        register(srv.address, "alice")
        if mode == "process":
            (first, *rest), (second, *more) = list(clients_on_two_workers(srv, "s").values())[:2]
            for extra in (*rest, *more):
                extra.close()
        else:
            first, second = LineClient(srv.address, "s0"), LineClient(srv.address, "s1")
        with first, second, LineClient(srv.address, "bob") as bob:
            for c in (first, second, bob):
                c.send("CAP REQ draft/read-marker")
                c.expect(" ACK ")
            for c in (first, second):
                c.send(f"NS IDENTIFY alice {PASSWORD}")
                c.expect(" 900 ")
            first.send("MARKREAD #room timestamp=2024-05-06T07:08:09.010Z")
            first.expect("MARKREAD #room timestamp=2024-05-06T07:08:09.010Z")
            assert second.expect("MARKREAD ").params == ("#room", "timestamp=2024-05-06T07:08:09.010Z")
            bob.send("MARKREAD #room")
            assert bob.expect("MARKREAD ").params == ("#room", "*")  # bob's own (none), never alice's
            second.send("PING :sync")
            second.expect("PONG")
