"""Fake lag in the connection core, on a clock the test moves: exact, and no socket or sleep."""

from __future__ import annotations

from server.domain.flood import FloodPolicy
from server.domain.settings import OperBlock

from .harness import Net, NetUser

POLICY = FloodPolicy(enabled=True, burst=5, rate=2.0, recvq=2048)


def relayed(user: NetUser) -> list[str]:
    return [m.params[-1] for m in user.messages() if m.command == "PRIVMSG"]


def pair() -> tuple[Net, NetUser, NetUser]:
    net = Net(flood=POLICY)
    a, b = net.user("alice"), net.user("bob")
    for user in (a, b):
        user.say("JOIN #x")
    net.advance(10)  # the JOINs' tokens come back
    a.lines(), b.lines()
    return net, a, b


def test_a_burst_then_the_rate_delayed_in_order_never_dropped() -> None:
    net, a, b = pair()
    a.send_raw(b"".join(b"PRIVMSG #x :m%d\r\n" % n for n in range(9)))
    assert relayed(b) == [f"m{n}" for n in range(5)]  # the burst
    net.advance(0.49)
    assert relayed(b) == []
    net.advance(0.01)
    assert relayed(b) == ["m5"]  # 2 a second from then on
    net.advance(1.5)
    assert relayed(b) == ["m6", "m7", "m8"]


def test_ping_pong_and_quit_cost_no_token() -> None:
    net, a, b = pair()
    a.send_raw(b"PING :1\r\nPING :2\r\nPING :3\r\n" + b"".join(b"PRIVMSG #x :m%d\r\n" % n for n in range(5)))
    assert [m.command for m in a.messages()] == ["PONG"] * 3
    assert relayed(b) == [f"m{n}" for n in range(5)]
    a.send_raw(b"PRIVMSG #x :held\r\nQUIT :bye\r\n")  # QUIT is free, but keeps its place behind "held"
    assert relayed(b) == [] and a.closed_with is None
    net.advance(0.5)
    assert relayed(b) == ["held"] and a.closed_with == "Quit: bye"


def test_registration_and_operators_are_not_slowed() -> None:
    net = Net(flood=POLICY, opers=(OperBlock("root", _cheap_hash("pw")),))
    a = net.connect()
    a.send_raw(b"CAP LS 302\r\nNICK alice\r\nUSER a 0 * :A\r\nCAP REQ :echo-message\r\nCAP END\r\nMODE alice +i\r\n"
               b"JOIN #x\r\n")
    assert a.session.registered and "JOIN" in [m.command for m in a.messages()]
    a.say("OPER root :pw")
    a.lines()
    a.send_raw(b"".join(b"PRIVMSG #x :o%d\r\n" % n for n in range(30)))
    assert relayed(a) == [f"o{n}" for n in range(30)]  # echo-message: all of them, at once


def test_held_input_past_the_recvq_is_an_excess_flood() -> None:
    _, a, b = pair()
    a.send_raw(b"".join(b"PRIVMSG #x :flood %04d %s\r\n" % (n, b"y" * 40) for n in range(100)))
    assert a.closed_with == "Excess Flood"
    assert b.lines()[-1] == ":alice!~alice@127.0.0.1 QUIT :Excess Flood"


def test_input_after_a_cpu_job_waits_for_its_result() -> None:
    net = Net(opers=(OperBlock("root", _cheap_hash("pw")),))
    a, b = net.user("alice"), net.user("bob")
    b.say("JOIN #x")
    a.say("JOIN #x")
    a.lines(), b.lines()
    a.send_raw(b"OPER root :pw\r\nKILL bob :after the check\r\n")  # KILL needs what OPER finds out
    assert [m.command for m in a.messages()][:2] == ["381", "MODE"]
    assert b.closed_with == "Killed (alice (after the check))"


def _cheap_hash(password: str) -> str:
    from server.auth.passwords import hash_password

    return hash_password(password, time_cost=1, memory_cost=8, parallelism=1)
