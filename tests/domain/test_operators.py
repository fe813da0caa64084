"""Server operators: OPER (password checked off the chat thread), KILL, WALLOPS, REHASH, INFO, and what shows them."""

from __future__ import annotations

import logging

import pytest

from server.auth import hash_password, verify_password
from server.auth.passwords import DUMMY_HASH
from server.domain.handlers.operators import MAX_OPER_FAILURES
from server.domain.settings import OperBlock

from .harness import Net, NetUser
from .test_ircv3 import capable

CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
ROOT_HASH = hash_password("root pw", **CHEAP)
LOCAL_HASH = hash_password("local pw", **CHEAP)
OPERS = (OperBlock("root", ROOT_HASH), OperBlock("local", LOCAL_HASH, ("*@10.0.0.*", "~ops@192.168.1.1")))


def network(**settings: object) -> Net:
    return Net(opers=OPERS, config_file="/etc/chat/server.toml", **settings)


def opered(net: Net, nick: str) -> NetUser:
    user = net.user(nick)
    user.say("OPER root :root pw")
    assert user.numerics() == ["381", "MODE"]
    return user


def test_oper_checks_the_password_in_a_deferred_job_and_grants_plus_o() -> None:
    net = network()
    a = net.user("alice")
    a.say("OPER root :root pw")
    assert net.jobs == [(verify_password, (ROOT_HASH, "root pw"))]  # run by the harness, not by the handler
    assert a.lines() == [":chat.local 381 alice :You are now an IRC operator",
                         ":alice!~alice@127.0.0.1 MODE alice +o"]
    assert a.session.oper == "root"
    assert net.world.user(a.conn_id).modes == "o"  # type: ignore[union-attr]
    a.say("MODE alice")
    assert a.lines() == [":chat.local 221 alice :+o"]


def test_whois_who_and_lusers_show_operators() -> None:
    net = network()
    a, b = opered(net, "alice"), net.user("bob")
    a.say("JOIN #ops")
    b.say("JOIN #ops")
    b.lines()
    b.say("WHOIS alice")
    assert ":chat.local 313 bob alice :is an IRC operator" in b.lines()
    b.say("WHOIS bob")
    assert "313" not in b.numerics()
    b.say("WHO #ops")
    flags = {m.params[5]: m.params[6] for m in b.messages() if m.command == "352"}
    assert flags == {"alice": "H*@", "bob": "H"}
    b.say("LUSERS")
    assert ":chat.local 252 bob 1 :operator(s) online" in b.lines()
    a.say("QUIT")
    b.lines()
    b.say("LUSERS")
    assert ":chat.local 252 bob 0 :operator(s) online" in b.lines()


def test_wrong_password_and_unknown_name_are_464_and_cost_the_same(caplog: pytest.LogCaptureFixture) -> None:
    net = network()
    a = net.user("alice")
    with caplog.at_level(logging.WARNING, "server.domain.handlers.operators"):
        a.say("OPER root :guess-123")
        assert a.lines() == [":chat.local 464 alice :Password incorrect"]
        a.say("OPER nobody :root pw")
        assert a.lines() == [":chat.local 464 alice :Password incorrect"]
    # the unknown name was checked against a hash of the real cost, not answered at once
    assert net.jobs == [(verify_password, (ROOT_HASH, "guess-123")), (verify_password, (DUMMY_HASH, "root pw"))]
    assert a.session.oper == "" and net.world.user(a.conn_id).modes == ""  # type: ignore[union-attr]
    failures = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 2
    assert all("alice" in r.getMessage() and "127.0.0.1" in r.getMessage() for r in failures)
    assert "root pw" not in caplog.text and "guess-123" not in caplog.text  # passwords never reach the log


def test_a_host_outside_the_blocks_masks_is_491_but_only_with_the_right_password() -> None:
    net = network()
    a = net.user("alice")  # ~alice@127.0.0.1; "local" allows *@10.0.0.* and ~ops@192.168.1.1
    a.say("OPER local :local pw")
    assert a.lines() == [":chat.local 491 alice :No O-lines for your host"]
    a.say("OPER local :wrong")  # a wrong password says nothing about the host
    assert a.numerics() == ["464"]
    assert a.session.oper == ""
    b = net.connect()
    b.session.host = "10.0.0.7"
    b.say("NICK bob")
    b.say("USER bob 0 * :Bob")
    b.lines()
    b.say("OPER local :local pw")
    assert b.numerics() == ["381", "MODE"]


def test_oper_needs_a_name_and_a_password() -> None:
    a = network().user("alice")
    a.say("OPER root")
    assert a.lines() == [":chat.local 461 alice OPER :Not enough parameters"]
    a.say("OPER")
    assert a.numerics() == ["461"]
    u = network().connect()
    u.say("OPER root :root pw")
    assert u.numerics() == ["451"]


def test_a_hundred_wrong_passwords_are_refused_then_the_connection_is_closed(
        caplog: pytest.LogCaptureFixture) -> None:
    net = network()
    a, peer = net.user("alice"), net.user("peer")
    a.say("JOIN #x")
    peer.say("JOIN #x")
    a.lines(), peer.lines()
    with caplog.at_level(logging.WARNING, "server.domain.handlers.operators"):
        for _ in range(100):
            if a.closed_with is None:  # as a Connection drops what arrives after it closed
                a.say("OPER root :guess")
    assert len(net.jobs) == MAX_OPER_FAILURES == 10
    assert a.numerics() == ["464"] * MAX_OPER_FAILURES + ["ERROR"]
    assert a.closed_with == "Too many failed OPER attempts"
    assert peer.lines() == [":alice!~alice@127.0.0.1 QUIT :Too many failed OPER attempts"]
    assert "too many failed OPER attempts" in caplog.text
    assert len([r for r in caplog.records if "failed OPER by alice" in r.getMessage()]) == MAX_OPER_FAILURES


def test_a_check_that_fails_is_no_success_and_no_strike() -> None:
    net = Net(opers=(OperBlock("root", "$argon2id$not-a-hash"),))  # bypassing the config's check
    a = net.user("alice")
    a.say("OPER root :root pw")
    [fail] = a.messages()
    assert fail.command == "FAIL" and fail.params[:2] == ("OPER", "TEMPORARILY_UNAVAILABLE")
    assert a.session.oper == "" and a.session.oper_failures == 0


def test_users_set_plus_w_and_plus_i_but_only_oper_grants_plus_o_and_minus_o_deopers() -> None:
    net = network()
    a = net.user("alice")
    a.say("MODE alice +wio")
    assert a.lines() == [":alice!~alice@127.0.0.1 MODE alice +iw"]
    a.say("MODE alice -o")  # not an operator: nothing changes, nothing is said
    assert a.lines() == []
    assert net.world.user(a.conn_id).modes == "iw"  # type: ignore[union-attr]
    a.say("OPER root :root pw")
    a.lines()
    a.say("MODE alice -o")
    assert a.lines() == [":alice!~alice@127.0.0.1 MODE alice -o"]
    assert a.session.oper == "" and net.world.user(a.conn_id).modes == "iw"  # type: ignore[union-attr]
    a.say("KILL alice :me")
    assert a.numerics() == ["481"]


def test_kill_disconnects_the_victim_with_error_and_its_channels_see_the_quit() -> None:
    net = network()
    oper, victim, peer, stranger = opered(net, "alice"), net.user("spammer"), net.user("peer"), net.user("carol")
    for user in (victim, peer):
        user.say("JOIN #x")
    victim.say("JOIN #y")
    peer.lines(), victim.lines(), stranger.lines()
    oper.say("KILL spammer :flooding #x")
    assert victim.lines() == ["ERROR :Killed (alice (flooding #x))"]
    assert victim.closed_with == "Killed (alice (flooding #x))"
    assert peer.lines() == [":spammer!~spammer@127.0.0.1 QUIT :Killed (alice (flooding #x))"]
    assert oper.lines() == [] and stranger.lines() == []  # they shared no channel
    assert net.world.user_by_nick("spammer") is None
    assert net.world.channel("#y", peer.conn_id) is None  # its last member left
    again = net.user("spammer")  # the nick is free
    assert again.session.registered


def test_kill_needs_an_operator_an_existing_nick_and_a_reason() -> None:
    net = network()
    oper, bob = opered(net, "alice"), net.user("bob")
    bob.say("KILL alice :bye")
    assert bob.lines() == [":chat.local 481 bob :Permission Denied- You're not an IRC operator"]
    assert oper.closed_with is None
    oper.say("KILL nobody :bye")
    assert oper.lines() == [":chat.local 401 alice nobody :No such nick/channel"]
    oper.say("KILL bob")
    assert oper.numerics() == ["461"]
    oper.say("KILL")
    assert oper.numerics() == ["461"]
    assert bob.closed_with is None and bob.lines() == []


def test_wallops_reaches_exactly_the_plus_w_users() -> None:
    net = network()
    oper, w1, w2, plain = opered(net, "alice"), net.user("wendy"), net.user("walt"), net.user("pat")
    for user in (w1, w2):
        user.say(f"MODE {user.session.nick} +w")
        user.lines()
    oper.say("WALLOPS :server restarting at noon")
    wallops = ":alice!~alice@127.0.0.1 WALLOPS :server restarting at noon"
    assert w1.lines() == [wallops] and w2.lines() == [wallops]
    assert plain.lines() == [] and oper.lines() == []  # alice is not +w herself
    oper.say("MODE alice +w")
    w2.say("MODE walt -w")
    w1.say("QUIT")
    oper.lines(), w2.lines()
    oper.say("WALLOPS one")
    assert oper.lines() == [":alice!~alice@127.0.0.1 WALLOPS :one"]
    assert w2.lines() == [] and plain.lines() == []
    plain.say("WALLOPS :hi all")
    assert plain.numerics() == ["481"]
    assert oper.lines() == []
    oper.say("WALLOPS")
    assert oper.numerics() == ["461"]


def test_kill_and_wallops_never_show_in_history_or_join_replay() -> None:
    net = network(join_replay=10)
    oper = capable(net, "alice")
    oper.say("OPER root :root pw")
    victim, peer = net.user("spammer"), net.user("peer")
    for user in (oper, victim, peer):
        user.say("JOIN #x")
    oper.say("MODE alice +w")
    victim.say("PRIVMSG #x :buy now")
    oper.say("PRIVMSG spammer :stop it")
    oper.say("WALLOPS :spam wave")
    oper.say("KILL spammer :spam")
    oper.lines()
    oper.say("CHATHISTORY LATEST #x * 50")
    assert [m.command for m in oper.messages() if m.command not in ("BATCH",)] == ["PRIVMSG"]
    oper.say("CHATHISTORY LATEST spammer * 50")
    assert [(m.command, m.params[1]) for m in oper.messages() if m.command != "BATCH"] == [("PRIVMSG", "stop it")]
    oper.say("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    assert sorted(m.params[1] for m in oper.messages() if m.command == "CHATHISTORY") == ["#x", "spammer"]
    late = net.user("late")
    late.say("JOIN #x")
    replayed = late.lines()
    assert ":spammer!~spammer@127.0.0.1 PRIVMSG #x :buy now" in replayed
    assert [line for line in replayed if " KILL " in line or " WALLOPS " in line] == []


def test_rehash_reloads_through_the_servers_hook_and_reports_problems() -> None:
    class Hooks:
        def __init__(self, problems: list[str]) -> None:
            self.problems, self.calls = problems, 0

        def rehash(self) -> list[str]:
            self.calls += 1
            return self.problems

    net = network()
    oper, bob = opered(net, "alice"), net.user("bob")
    oper.say("REHASH")  # no server around this network to reload anything
    [fail] = oper.messages()
    assert fail.command == "FAIL" and fail.params[:2] == ("REHASH", "CANNOT_REHASH")
    net.hooks = good = Hooks([])
    bob.say("REHASH")
    assert bob.numerics() == ["481"] and good.calls == 0
    oper.say("REHASH")
    assert oper.lines() == [":chat.local 382 alice /etc/chat/server.toml :Rehashing"] and good.calls == 1
    net.hooks = Hooks(["[opers.root] in /etc/chat/server.toml: bad password hash", "motd: no such file"])
    oper.say("REHASH")
    fails = oper.messages()
    assert [(m.command, *m.params[:2]) for m in fails] == [("FAIL", "REHASH", "INVALID_CONFIG")] * 2
    assert fails[0].params[-1] == "[opers.root] in /etc/chat/server.toml: bad password hash " \
                                  "(the old configuration is kept)"


def test_info_lists_lines_then_ends_for_anyone() -> None:
    bob = network().user("bob")
    bob.say("INFO")
    msgs = bob.messages()
    assert [m.command for m in msgs] == ["371"] * (len(msgs) - 1) + ["374"] and len(msgs) > 2
    assert "chat-server-0.1" in msgs[0].params[-1]
    assert "chat.local" in " ".join(m.params[-1] for m in msgs)


def test_a_labelled_oper_gets_its_label_on_the_replies_that_come_after_the_check() -> None:
    """The deferred part's replies are the command's replies: one labelled batch, not an ACK then loose lines."""
    net = network()
    a = capable(net, "alice", "labeled-response batch")
    a.say("@label=op1 OPER root :root pw")
    msgs = a.messages()
    assert [m.command for m in msgs] == ["BATCH", "381", "MODE", "BATCH"]
    assert msgs[0].tags == {"label": "op1"} and msgs[0].params[1] == "labeled-response"
    a.say("@label=op2 OPER root :wrong")
    [reply] = a.messages()
    assert reply.command == "464" and reply.tags == {"label": "op2"}
