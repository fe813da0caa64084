"""Server operators over real sockets, in every dispatch mode: OPER, KILL, WALLOPS, REHASH and SIGHUP.

The domain harness (tests/domain/test_operators.py) checks each command's replies
line by line; these tests check what only a running server can get wrong: the
password check in the forkserver hash pool, a KILL that really closes a socket
(on another worker process, in process mode), the config file read again on
REHASH and on SIGHUP, start-up refusing a bad hash, and flood control sparing
operators. Process mode runs two workers, and where it matters the users are
placed on different ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.auth import hash_password, verify_password
from tests.support.client import LineClient
from tests.support.servers import NO_FLOOD_CONTROL, RunningServer, chat_server, wait_for

# Cheap argon2id parameters: the server verifies with the parameters inside the
# hash, so this is a real hash and a real check, only faster. (An unknown
# operator name is still checked against the server's full-cost dummy hash.)
CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
ROOT_PW = "correct horse battery"
ROOT_HASH = hash_password(ROOT_PW, **CHEAP)
FAR_PW = "far away"
FAR_HASH = hash_password(FAR_PW, **CHEAP)
NEW_PW = "fresh one"
NEW_HASH = hash_password(NEW_PW, **CHEAP)
OLD_PW = "retiring"
OLD_HASH = hash_password(OLD_PW, **CHEAP)
MALFORMED_HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$!!not-base64!!"

Opers = dict[str, tuple[str, Sequence[str] | None]]
DEFAULT_OPERS: Opers = {
    "root": (ROOT_HASH, ["*@127.0.0.1"]),
    "faraway": (FAR_HASH, ["*@10.9.9.9"]),
}


def write_config(path: Path, motd: Path, opers: Opers) -> None:
    """A TOML config with a MOTD file and [opers.NAME] blocks, replaced atomically."""
    lines = [f"motd = {json.dumps(str(motd))}", ""]
    for name, (encoded, hosts) in opers.items():
        lines += [f"[opers.{name}]", f"password = {json.dumps(encoded)}"]
        if hosts is not None:
            lines.append(f"hosts = {json.dumps(list(hosts))}")
        lines.append("")
    scratch = path.with_suffix(".tmp")
    scratch.write_text("\n".join(lines))
    os.replace(scratch, path)


def mode_args(mode: str) -> tuple[str, ...]:
    return ("--workers", "2") if mode == "process" else ()


# Every process a test's server starts (workers, the hash pool's forkserver and its
# workers, multiprocessing's resource tracker) inherits this variable, so that what
# outlives the server can be found in /proc, reported, and ended by its pid.
MARK = "CHAT_OPERS_TEST_MARK"


def processes_marked(mark: str) -> list[int]:
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(mark: str, grace: float = 2.0) -> list[int]:
    """The processes of a stopped server still alive after ``grace`` seconds, each then killed by its pid."""
    wait_for(lambda: not processes_marked(mark), timeout=grace, interval=0.1)
    leftovers = processes_marked(mark)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftovers


@dataclass
class Served:
    srv: RunningServer
    config: Path
    motd: Path
    leftovers: list[int] = field(default_factory=list)  # filled in once the server has stopped


@contextmanager
def opered_server(mode: str, tmp_path: Path, *args: str, opers: Opers | None = None,
                  motd_text: str = "welcome to the first motd") -> Iterator[Served]:
    """A server with a config file holding ``opers`` and a MOTD file; in process mode, two workers."""
    motd = tmp_path / "motd.txt"
    motd.write_text(motd_text + "\n")
    config = tmp_path / "server.toml"
    write_config(config, motd, DEFAULT_OPERS if opers is None else opers)
    mark = uuid.uuid4().hex
    served: Served | None = None
    try:
        with chat_server(mode, *args, *mode_args(mode), "--config", str(config), env={MARK: mark}) as srv:
            served = Served(srv, config, motd)
            yield served
    finally:
        leftovers = reap(mark)
        if served is not None:
            served.leftovers = leftovers


def oper_up(client: LineClient, name: str = "root", password: str = ROOT_PW) -> None:
    nick = re.escape(str(client.nick))
    client.send(f"OPER {name} :{password}")
    client.expect(f" 381 {nick} ", timeout=15)
    client.expect(rf"^:{nick}!\S+ MODE {nick} :?\+o$")


def worker_of(client: LineClient) -> str:
    """Which worker serves this client: WHOIS names it in RPL_WHOISSERVER."""
    client.send(f"WHOIS {client.nick}")
    reply = client.expect(f" 312 {client.nick} {client.nick} ")
    client.expect(f" 318 {client.nick} ")
    return reply.params[-1].rsplit("worker ", 1)[-1]


def connect_elsewhere(stack: ExitStack, srv: RunningServer, mode: str, than: LineClient, prefix: str) -> LineClient:
    """A new registered client; in process mode, on another worker process than ``than``'s."""
    if mode != "process":
        return stack.enter_context(LineClient(srv.address, prefix))
    theirs = worker_of(than)
    for i in range(40):
        client = LineClient(srv.address, f"{prefix}{i}")
        if worker_of(client) != theirs:
            return stack.enter_context(client)
        client.close()
    raise AssertionError("could not place a client on the other worker in 40 tries")


def assert_closed(client: LineClient, timeout: float = 10.0) -> None:
    """The server closed this client's socket: recv returns b"" within ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the socket is still open; last lines:\n" + "\n".join(client.seen[-10:]))
        client.sock.settimeout(remaining)
        try:
            data = client.sock.recv(65536)
        except TimeoutError:
            continue
        if not data:
            return


def motd_of(client: LineClient) -> str:
    client.send("MOTD")
    lines = client.expect_until(r" 376 | 422 ")
    return "\n".join(m.params[-1] for m in lines if m.command == "372")


def lusers_opers(client: LineClient) -> int:
    client.send("LUSERS")
    replies = client.expect_until(f" 266 {client.nick} ")
    [count] = [int(m.params[1]) for m in replies if m.command == "252"]
    return count


def log_has(srv: RunningServer, text: str, timeout: float = 10.0) -> bool:
    return wait_for(lambda: text in srv.log_text(), timeout=timeout, interval=0.05)


# -- 1. OPER ------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_oper_grants_plus_o_and_whois_who_lusers_show_it_across_users(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        bob = connect_elsewhere(stack, srv, mode, alice, "bob")
        oper_up(alice)
        alice.send("MODE alice")
        assert "o" in alice.expect(" 221 alice ").params[-1]
        assert log_has(srv, "is now server operator 'root'")

        bob.send("WHOIS alice")
        whois = bob.expect_until(f" 318 {bob.nick} ")
        assert [m.params[1:] for m in whois if m.command == "313"] == [("alice", "is an IRC operator")]
        bob.send(f"WHOIS {bob.nick}")
        assert "313" not in [m.command for m in bob.expect_until(f" 318 {bob.nick} ")]

        alice.send("JOIN #ops")
        alice.expect(" 366 alice ")
        bob.send("JOIN #ops")
        bob.expect(f" 366 {bob.nick} ")
        bob.send("WHO #ops")
        flags = {m.params[5]: m.params[6] for m in bob.expect_until(f" 315 {bob.nick} ") if m.command == "352"}
        assert set(flags) == {"alice", bob.nick}
        assert "*" in flags["alice"] and "*" not in flags[str(bob.nick)]

        assert lusers_opers(bob) == 1
        carol = connect_elsewhere(stack, srv, mode, alice, "carol")  # process mode: the other worker
        oper_up(carol)
        assert lusers_opers(bob) == 2
        alice.send("QUIT :done")
        assert wait_for(lambda: lusers_opers(bob) == 1, timeout=10, interval=0.1)

        bob.send("INFO")  # anyone may ask
        info = bob.expect_until(f" 374 {bob.nick} ")
        assert [m.command for m in info].count("371") >= 2


@pytest.mark.timeout(90)
def test_oper_failures_are_464_491_461_and_each_is_logged(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, \
            LineClient(served.srv.address, "mallory") as mallory:
        srv = served.srv
        mallory.send("OPER root :not the password")
        mallory.expect(r" 464 mallory :Password incorrect", timeout=15)
        assert log_has(srv, "failed OPER by mallory (~mallory@127.0.0.1): wrong password for 'root'")

        mallory.send(f"OPER nobody :{ROOT_PW}")
        mallory.expect(r" 464 mallory :Password incorrect", timeout=15)
        assert log_has(srv, "failed OPER by mallory (~mallory@127.0.0.1): no operator named 'nobody'")

        mallory.send(f"OPER faraway :{FAR_PW}")  # right password, but only *@10.9.9.9 may use it
        mallory.expect(r" 491 mallory ", timeout=15)
        assert log_has(srv, "failed OPER by mallory (~mallory@127.0.0.1): host not allowed for 'faraway'")

        mallory.send("OPER root")
        mallory.expect(r" 461 mallory OPER ")
        mallory.send("OPER")
        mallory.expect(r" 461 mallory OPER ")

        mallory.send("MODE mallory")
        assert "o" not in mallory.expect(" 221 mallory ").params[-1]
        assert srv.log_text().count("failed OPER by mallory") == 3
        # three strikes of ten: the connection is still good, and the right password still works
        oper_up(mallory)


@pytest.mark.timeout(60)
def test_hash_password_cli_output_lets_that_password_oper(tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, "-m", "server", "hash-password"], input="typed at the cli\n",
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    encoded = made.stdout.strip()
    assert encoded.startswith("$argon2id$") and "typed at the cli" not in made.stdout
    assert verify_password(encoded, "typed at the cli") and not verify_password(encoded, "typed at the CLI")
    with opered_server("thread", tmp_path, *NO_FLOOD_CONTROL, opers={"cli": (encoded, None)}) as served, \
            LineClient(served.srv.address, "admin") as admin:
        oper_up(admin, "cli", "typed at the cli")


# -- 2. KILL ------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_kill_closes_the_victims_socket_and_its_channel_sees_the_quit(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        victim = connect_elsewhere(stack, srv, mode, alice, "spammer")  # process mode: on the other worker
        peer = stack.enter_context(LineClient(srv.address, "peer"))
        oper_up(alice)
        for user in (victim, peer):
            user.send("JOIN #x")
            user.expect(f" 366 {user.nick} ")
        peer.send("NAMES #x")
        assert victim.nick in peer.expect(" 353 peer ").params[-1].replace("@", "").split()

        alice.send(f"KILL {victim.nick} :flooding #x")
        killed = re.escape("Killed (alice (flooding #x))")
        victim.expect(f"^ERROR :{killed}$")
        assert_closed(victim)
        peer.expect(rf"^:{re.escape(victim.nick)}!\S+ QUIT :{killed}$")
        assert log_has(srv, f"operator alice (root) killed {victim.nick}: flooding #x")

        # the nick is free again, and whoever takes it is not the one killed
        again = stack.enter_context(LineClient(srv.address, victim.nick))
        peer.send(f"WHOIS {victim.nick}")
        peer.expect(f" 318 peer {re.escape(victim.nick)} ")
        again.send("PING :alive")
        again.expect("PONG .*alive")


@pytest.mark.timeout(90)
def test_kill_is_481_for_a_non_operator_and_401_for_a_nick_nobody_has(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        bob = connect_elsewhere(stack, srv, mode, alice, "bob")
        bob.send("KILL alice :you go")
        bob.expect(f" 481 {bob.nick} :Permission Denied")
        oper_up(alice)
        alice.send("KILL nobody :bye")
        alice.expect(" 401 alice nobody ")
        # neither did anything: both are still connected and answer
        for user in (alice, bob):
            user.send("PING :still here")
            user.expect("PONG .*still here")
            assert not any(line.startswith("ERROR") for line in user.seen)


# -- 3. WALLOPS ---------------------------------------------------------------


@pytest.mark.timeout(90)
def test_wallops_reaches_plus_w_users_only_and_is_481_for_non_operators(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        wendy = connect_elsewhere(stack, srv, mode, alice, "wendy")
        plain = connect_elsewhere(stack, srv, mode, alice, "plain")
        wendy.send(f"MODE {wendy.nick} +w")
        wendy.expect(f"MODE {wendy.nick} :?\\+w")
        oper_up(alice)

        plain.send("WALLOPS :not mine to send")
        plain.expect(f" 481 {plain.nick} ")

        alice.send("WALLOPS :server restarting at noon")
        wendy.expect(r"^:alice!\S+ WALLOPS :server restarting at noon$")
        # a later message from alice is a fence: once plain has it, the WALLOPS would have come before it
        alice.send(f"PRIVMSG {plain.nick} :fence")
        plain.expect("PRIVMSG .* :fence")
        plain.lines_for(0.3)
        assert not [line for line in plain.seen if "WALLOPS" in line]
        assert not [line for line in wendy.seen if "not mine to send" in line]


# -- 4. REHASH and SIGHUP -----------------------------------------------------


@pytest.mark.timeout(120)
def test_rehash_reloads_motd_and_opers_and_a_broken_file_keeps_the_old_config(mode: str, tmp_path: Path) -> None:
    opers: Opers = {**DEFAULT_OPERS, "retired": (OLD_HASH, None)}
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL, opers=opers) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        bob = connect_elsewhere(stack, srv, mode, alice, "bob")
        bob.send("REHASH")
        bob.expect(f" 481 {bob.nick} ")
        oper_up(alice)
        assert "welcome to the first motd" in motd_of(alice)

        served.motd.write_text("the second motd, after REHASH\n")
        # the new file adds newbie and drops retired
        write_config(served.config, served.motd, {**DEFAULT_OPERS, "newbie": (NEW_HASH, ["*@127.0.0.1"])})
        alice.send("REHASH")
        alice.expect(f" 382 alice {re.escape(str(served.config))} ", timeout=15)
        assert "the second motd, after REHASH" in motd_of(alice)
        # process mode: bob is on the other worker, which reloads when the parent passes SIGHUP on
        assert wait_for(lambda: "the second motd" in motd_of(bob), timeout=10, interval=0.1), bob.seen[-5:]
        oper_up(bob, "newbie", NEW_PW)
        bob.send(f"OPER retired :{OLD_PW}")  # removed from the file: no longer an operator
        bob.expect(f" 464 {bob.nick} ", timeout=15)

        other_motd = tmp_path / "motd-broken.txt"
        other_motd.write_text("this motd must never be shown\n")
        write_config(served.config, other_motd, {**DEFAULT_OPERS, "newbie": (MALFORMED_HASH, None)})
        alice.send("REHASH")
        start = len(alice.seen)
        fail = alice.expect(r"^:\S+ FAIL REHASH ", timeout=15)
        assert fail.params[1] == "INVALID_CONFIG"
        assert "[opers.newbie]" in fail.params[-1] and "hash" in fail.params[-1], fail.params
        assert "old configuration is kept" in fail.params[-1]
        assert log_has(srv, "REHASH failed")
        alice.lines_for(0.3)
        assert not [line for line in alice.seen[start:] if " 382 " in line]

        # the old configuration still serves, on every worker: its MOTD, and newbie's good hash
        assert "the second motd, after REHASH" in motd_of(alice)
        assert "the second motd, after REHASH" in motd_of(bob)
        fresh = [stack.enter_context(LineClient(srv.address, "fresh"))]
        if mode == "process":
            fresh.append(connect_elsewhere(stack, srv, mode, fresh[0], "fresh"))
        for client in fresh:
            assert "the second motd, after REHASH" in motd_of(client)
            oper_up(client, "newbie", NEW_PW)
        assert srv.proc.poll() is None


@pytest.mark.timeout(90)
def test_sighup_reloads_the_motd_on_every_worker(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        alice = stack.enter_context(LineClient(srv.address, "alice"))
        bob = connect_elsewhere(stack, srv, mode, alice, "bob")
        assert "welcome to the first motd" in motd_of(bob)
        served.motd.write_text("a motd delivered by SIGHUP\n")
        srv.proc.send_signal(signal.SIGHUP)
        for user in (alice, bob):
            def reloaded(user: LineClient = user) -> bool:
                return "delivered by SIGHUP" in motd_of(user)
            assert wait_for(reloaded, timeout=10, interval=0.1), user.seen[-5:]
        assert srv.proc.poll() is None
        assert log_has(srv, "configuration reloaded")


# -- 5. start-up with a malformed hash ----------------------------------------


@pytest.mark.timeout(60)
def test_startup_with_a_malformed_operator_hash_exits_2_naming_the_block(mode: str, tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    write_config(config, tmp_path / "motd.txt", {"root": (ROOT_HASH, None), "broken": (MALFORMED_HASH, None)})
    (tmp_path / "motd.txt").write_text("hi\n")
    cmd = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0", "--mode", mode,
           *mode_args(mode), "--data-dir", str(tmp_path / "data"), "--config", str(config)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:  # it started and listened instead of refusing
        raise AssertionError(f"the server did not refuse the config; output: {exc.stdout!r}") from None
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "[opers.broken]" in done.stderr and str(config) in done.stderr, done.stderr
    assert "hash" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert "listening on" not in done.stdout


# -- 6. a hundred wrong passwords ---------------------------------------------


@pytest.mark.timeout(180)
def test_a_hundred_wrong_opers_close_the_guessers_and_never_crash_the_server(mode: str, tmp_path: Path) -> None:
    # Flood control off: with it on, 100 OPERs would be spread over ~50 s by fake lag,
    # which is its own test; this one is about the password checks and the strike limit.
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        srv = served.srv
        peer = stack.enter_context(LineClient(srv.address, "peer"))
        guessers = [stack.enter_context(LineClient(srv.address, f"guess{i}")) for i in range(10)]
        guessers[0].send("JOIN #x")
        guessers[0].expect(" 366 ")
        peer.send("JOIN #x")
        peer.expect(" 366 peer ")
        for i, guesser in enumerate(guessers):
            # half try a wrong password for root, half an unknown name (the full-cost dummy hash);
            # the first sends three more than it may, which must be dropped unchecked
            wrong = "OPER root :guess-{}" if i % 2 == 0 else "OPER nobody{} :" + ROOT_PW
            count = 13 if i == 0 else 10
            guesser.send("".join(wrong.format(k) + "\r\n" for k in range(count)))
        for guesser in guessers:
            for _ in range(10):
                guesser.expect(f" 464 {guesser.nick} ", timeout=30)
            guesser.expect("^ERROR ", timeout=10)
            assert_closed(guesser)
            assert not [line for line in guesser.seen if re.search(" 381 | 491 ", line)]
        peer.expect(r"^:guess0!\S+ QUIT :Too many failed OPER attempts")
        assert srv.proc.poll() is None
        assert wait_for(lambda: srv.log_text().count("too many failed OPER attempts") == 10, timeout=10), \
            srv.log_text()[-2000:]
        assert srv.log_text().count("failed OPER by guess") >= 100

        # still serving: a new client registers, chats, and the right password still works
        with LineClient(srv.address, "after", timeout=15) as after:
            after.send("PRIVMSG peer :still up")
            peer.expect("PRIVMSG peer :still up")
            oper_up(after)


# -- 7. operators and flood control -------------------------------------------


def count_arrivals(client: LineClient, pattern: str, seconds: float) -> list[str]:
    regex = re.compile(pattern)
    return [line for line in client.lines_for(seconds) if regex.search(line)]


def joined_pair(stack: ExitStack, srv: RunningServer, mode: str, nick: str,
                channel: str) -> tuple[LineClient, LineClient]:
    talker = stack.enter_context(LineClient(srv.address, nick))
    listener = connect_elsewhere(stack, srv, mode, talker, f"{nick}_ear")
    for user in (talker, listener):
        user.send(f"JOIN {channel}")
        user.expect(f" 366 {user.nick} ")
    talker.expect(f":{listener.nick}!\\S+ JOIN {channel}")
    return talker, listener


@pytest.mark.timeout(90)
def test_operators_are_exempt_from_flood_control(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path) as served, ExitStack() as stack:  # flood control on, as by default
        srv = served.srv
        oper, oper_ear = joined_pair(stack, srv, mode, "op", "#fast")
        oper_up(oper)
        start = time.monotonic()
        oper.send("".join(f"PRIVMSG #fast :burst {i}\r\n" for i in range(30)))
        got: list[str] = []
        while len(got) < 30 and time.monotonic() - start < 3.0:
            got += count_arrivals(oper_ear, r"PRIVMSG #fast :burst \d+$", 0.1)
        assert [line.rsplit(" ", 1)[1] for line in got] == [str(i) for i in range(30)], \
            f"{len(got)} of 30 in {time.monotonic() - start:.1f} s"

        # the contrast: a plain user's 30 are paced at about 2 a second after a burst of 5
        user, user_ear = joined_pair(stack, srv, mode, "pleb", "#slow")
        user.send("".join(f"PRIVMSG #slow :burst {i}\r\n" for i in range(30)))
        slow = count_arrivals(user_ear, r"PRIVMSG #slow :burst \d+$", 2.0)
        assert 1 <= len(slow) < 20, len(slow)


# -- 8. what a password check leaves behind -----------------------------------


@pytest.mark.timeout(90)
def test_a_server_that_checked_a_password_stops_promptly_and_leaves_no_process(mode: str, tmp_path: Path) -> None:
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL) as served, ExitStack() as stack:
        alice = stack.enter_context(LineClient(served.srv.address, "alice"))
        oper_up(alice)  # one password check, in the hash pool
        if mode == "process":  # and one on the other worker
            bob = connect_elsewhere(stack, served.srv, mode, alice, "bob")
            bob.send("OPER root :wrong")
            bob.expect(f" 464 {bob.nick} ", timeout=15)
        stack.close()
        start = time.monotonic()
        status = served.srv.stop(timeout=30)
        took = time.monotonic() - start
    assert status == 0
    assert served.leftovers == [], f"processes left running after the server stopped (killed now): " \
                                   f"{served.leftovers}; the stop took {took:.1f} s"
    assert took < 5, f"SIGTERM took {took:.1f} s to stop the server"


# -- 9. operators and the per-address limits -----------------------------------


def test_an_operators_connection_stops_counting_against_its_address(mode: str, tmp_path: Path) -> None:
    """127.0.1.x is not exempt by default; with one connection allowed, an oper's frees the place."""
    opers: Opers = {"root": (ROOT_HASH, ["*@127.0.1.6"])}
    with opered_server(mode, tmp_path, *NO_FLOOD_CONTROL, "--max-per-ip", "1", opers=opers) as served, \
            ExitStack() as stack:
        admin = stack.enter_context(LineClient(served.srv.address, "admin", source="127.0.1.6"))
        with pytest.raises(ConnectionError):  # the address's one place is taken
            LineClient(served.srv.address, "second", source="127.0.1.6")
        oper_up(admin)
        with LineClient(served.srv.address, "second", source="127.0.1.6") as second:
            second.send("QUIT")
            second.expect("^ERROR")  # its place is free by then: the server closed it (else a race with "third")
        admin.send("MODE admin -o")  # no longer an oper: still not counted twice when it leaves
        admin.expect("MODE admin :?-o")
        admin.send("QUIT")
        admin.expect("^ERROR")
        with LineClient(served.srv.address, "third", source="127.0.1.6"):
            pass
