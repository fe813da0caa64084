"""Registration handlers: CAP, PASS, NICK, USER, the welcome, PING, QUIT, and the shared checks."""

from __future__ import annotations

from .harness import Net


def test_welcome_burst_has_001_to_005_lusers_and_motd() -> None:
    net = Net()
    u = net.connect()
    u.say("NICK alice")
    assert u.lines() == []
    u.say("USER alice 0 * :Alice A")
    msgs = u.messages()
    numerics = [m.command for m in msgs]
    assert numerics[:4] == ["001", "002", "003", "004"]
    assert "005" in numerics and "251" in numerics and numerics[-1] == "376"
    isupport = " ".join(" ".join(m.params) for m in msgs if m.command == "005")
    for token in ("CASEMAPPING=rfc1459", "CHANTYPES=", "CHANNELLEN=", "NICKLEN=", "TOPICLEN=", "PREFIX=(ov)@+",
                  "CHANMODES=", "NETWORK=ChatNet", "MODES=", "TARGMAX="):
        assert token in isupport


def test_commands_before_registration_get_451_and_unknown_get_421() -> None:
    u = Net().connect()
    u.say("JOIN #a")
    assert u.numerics() == ["451"]
    u.say("FROBNICATE")
    assert u.numerics() == ["421"]


def test_missing_parameters_get_461() -> None:
    net = Net()
    u = net.user("alice")
    for line in ("JOIN", "PART", "KICK #a", "TOPIC", "WHOIS", "INVITE bob", "MODE"):
        u.say(line)
        assert u.numerics() == ["461"], line


def test_user_with_an_empty_realname_is_461_and_does_not_register() -> None:
    u = Net().connect()
    u.say("NICK foo")
    u.say("USER username * * :")
    assert u.numerics() == ["461"] and not u.session.registered
    u.say("USER username * * :Real Name")
    assert u.session.registered


def test_nick_errors_431_432_433() -> None:
    net = Net()
    net.user("alice")
    u = net.connect()
    u.say("NICK")
    assert u.numerics() == ["431"]
    u.say("NICK 9lives")
    assert u.numerics() == ["432"]
    u.say("NICK ALICE")  # rfc1459 case mapping: same nick
    assert u.numerics() == ["433"]
    u.say("NICK [alice]")
    u.say("NICK {ALICE}")  # {} are the lower case of []: its own nick, no error
    assert u.numerics() == []


def test_nick_change_is_seen_by_channel_peers_and_self_only() -> None:
    net = Net()
    a, b, c = net.user("alice"), net.user("bob"), net.user("carol")
    a.say("JOIN #x")
    b.say("JOIN #x")
    for u in (a, b, c):
        u.lines()
    a.say("NICK alicia")
    assert a.lines() == ["NICK :alicia".replace("NICK :", ":alice!~alice@127.0.0.1 NICK ")]
    assert b.lines() == [":alice!~alice@127.0.0.1 NICK alicia"]
    assert c.lines() == []
    c.say("NICK alice")  # the old nick is free again
    assert c.lines() == [":alice!~carol@127.0.0.1 NICK alice".replace(":alice!~carol", ":carol!~carol")]


def test_cap_negotiation_holds_registration_until_end() -> None:
    u = Net().connect()
    u.say("CAP LS 302")
    (ls,) = u.messages()
    assert ls.params[:2] == ("*", "LS") and "multi-prefix" in ls.params[2].split()
    u.say("NICK alice")
    u.say("USER alice 0 * :A")
    assert u.lines() == []
    u.say("CAP REQ :multi-prefix")
    assert u.messages()[0].params[1:] == ("ACK", "multi-prefix")
    u.say("CAP REQ :no-such-cap")
    assert u.messages()[0].params[1] == "NAK"
    u.say("CAP LIST")
    assert u.messages()[0].params[1:] == ("LIST", "multi-prefix")
    u.say("CAP END")
    assert u.numerics()[0] == "001"
    u.say("CAP BOGUS")
    assert u.numerics() == ["410"]


def test_cap_req_applies_its_items_in_order() -> None:
    u = Net().connect()
    u.say("CAP REQ :echo-message -echo-message server-time")
    assert u.messages()[0].params[1] == "ACK"
    u.say("CAP REQ :-server-time server-time")
    u.lines()
    u.say("CAP LIST")
    assert u.messages()[0].params[1:] == ("LIST", "server-time")


def test_pass_is_checked_when_a_password_is_set() -> None:
    net = Net(password="sesame")
    bad = net.connect()
    bad.say("PASS wrong")
    bad.say("NICK bad")
    bad.say("USER bad 0 * :B")
    assert bad.numerics() == ["464", "ERROR"] and bad.closed_with == "Bad password"
    good = net.connect()
    good.say("PASS sesame")
    good.say("NICK good")
    good.say("USER good 0 * :G")
    assert good.session.registered
    good.lines()
    good.say("PASS again")
    assert good.numerics() == ["462"]


def test_user_twice_is_462() -> None:
    u = Net().user("alice")
    u.say("USER again 0 * :x")
    assert u.numerics() == ["462"]


def test_ping_pong_and_quit() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    a.lines(), b.lines()
    b.say("PING :abc 123")
    assert b.lines() == [":chat.local PONG chat.local :abc 123"]
    b.say("PONG :whatever")
    assert b.lines() == []
    b.say("QUIT :gone fishing")
    assert b.closed_with == "Quit: gone fishing"
    assert a.lines() == [":bob!~bob@127.0.0.1 QUIT :Quit: gone fishing"]
    assert net.world.user_by_nick("bob") is None
