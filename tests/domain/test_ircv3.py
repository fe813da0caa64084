"""IRCv3: capabilities, tags, echo-message, labeled-response, batches, CHATHISTORY and replay on join."""

from __future__ import annotations

import re

from server.protocol import parse_line

from .harness import Net, NetUser

ALL_CAPS = ("server-time message-tags echo-message batch labeled-response draft/chathistory away-notify "
            "extended-join multi-prefix setname extended-monitor userhost-in-names draft/message-redaction "
            "draft/read-marker draft/metadata-3 invite-notify draft/channel-rename draft/multiline")


def capable(net: Net, nick: str, caps: str = ALL_CAPS) -> NetUser:
    user = net.connect()
    user.say("CAP LS 302")
    user.say(f"CAP REQ :{caps}")
    ack = user.messages()[-1]
    assert ack.params[1] == "ACK", ack
    user.say(f"NICK {nick}")
    user.say(f"USER {nick} 0 * :{nick} real")
    user.say("CAP END")
    assert user.session.registered
    user.lines()
    return user


def test_cap_ls_offers_what_the_server_implements_and_isupport_says_the_rest() -> None:
    u = Net().connect()
    u.say("CAP LS 302")
    offered = dict(cap.partition("=")[::2] for m in u.messages() for cap in m.params[-1].split())
    accounts = {"account-notify", "account-tag", "draft/account-registration", "sasl"}
    assert set(offered) == set(ALL_CAPS.split()) | {"cap-notify", "draft/event-playback"} | accounts
    assert offered["draft/metadata-3"] == "maxsub=50,maxkey=20"
    assert offered["draft/multiline"] == "max-bytes=4096,max-lines=100"
    assert offered["sasl"] == "PLAIN,SCRAM-SHA-256"
    assert offered["draft/account-registration"] == "before-connect"
    u.say("NICK a")
    u.say("USER a 0 * :a")
    u.say("CAP END")
    isupport = " ".join(" ".join(m.params) for m in u.messages() if m.command == "005")
    assert "CHATHISTORY=100" in isupport and "UTF8ONLY" in isupport and "MSGREFTYPES=msgid,timestamp" in isupport


def test_echo_message_returns_the_same_msgid_the_others_got() -> None:
    net = Net()
    a, b = capable(net, "alice"), capable(net, "bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    a.lines(), b.lines()
    a.say("@+draft/reply=abc PRIVMSG #x :hello")
    (echo,) = a.messages()
    (got,) = b.messages()
    assert echo == got
    assert echo.tags["msgid"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", echo.tags["time"])
    assert echo.tags["+draft/reply"] == "abc"


def test_plain_clients_get_no_tags_and_no_echo() -> None:
    net = Net()
    a, b = net.user("alice"), capable(net, "bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    a.lines(), b.lines()
    b.say("PRIVMSG #x :hi")
    assert a.lines() == [":bob!~bob@127.0.0.1 PRIVMSG #x :hi"]
    a.say("PRIVMSG #x :back")
    assert a.lines() == []
    assert b.messages()[0].tags.keys() == {"msgid", "time"}


def test_tagmsg_reaches_only_message_tags_clients() -> None:
    net = Net()
    a, b, c = capable(net, "alice"), capable(net, "bob"), net.user("carol")
    for u in (a, b, c):
        u.say("JOIN #x")
    for u in (a, b, c):
        u.lines()
    a.say("@+typing=active TAGMSG #x")
    assert b.messages()[0].command == "TAGMSG" and b.messages() == []
    assert c.lines() == []


def test_labeled_response_tags_one_line_batches_several_and_acks_none() -> None:
    net = Net()
    a = capable(net, "alice")
    a.say("@label=one PING x")
    (pong,) = a.messages()
    assert pong.command == "PONG" and pong.tags == {"label": "one"}
    a.say("@label=two MOTD")
    msgs = a.messages()
    assert msgs[0].command == "BATCH" and msgs[0].tags == {"label": "two"} and msgs[0].params[1] == "labeled-response"
    batch = msgs[0].params[0][1:]
    assert all(m.tags.get("batch") == batch for m in msgs[1:-1]) and msgs[-1].params == (f"-{batch}",)
    a.say("@label=three PONG x")
    (ack,) = a.messages()
    assert ack.command == "ACK" and ack.tags == {"label": "three"}


def test_an_unknown_command_with_an_underscore_gets_one_labelled_421() -> None:
    a = capable(Net(), "alice")
    a.say("@label=deadbeef NONEXISTENT_COMMAND")
    (reply,) = a.messages()
    assert reply.command == "421" and reply.tags == {"label": "deadbeef"}
    assert reply.params[1] == "NONEXISTENT_COMMAND"


def test_extended_join_away_notify_and_setname() -> None:
    net = Net()
    a, b = capable(net, "alice"), net.user("bob")
    a.say("JOIN #x")
    a.lines()
    b.say("JOIN #x")
    assert a.messages()[0].params == ("#x", "*", "bob real")
    assert b.lines()[0] == ":bob!~bob@127.0.0.1 JOIN #x"
    b.say("AWAY :lunch")
    assert [(m.command, m.params) for m in a.messages()] == [("AWAY", ("lunch",))]
    b.say("AWAY")
    assert [(m.command, m.params) for m in a.messages()] == [("AWAY", ())]
    assert b.numerics() == ["306", "305"]
    b.say("SETNAME :Bobby")
    assert b.messages()[0].params[1] == "CANNOT_CHANGE_REALNAME"
    a.say("SETNAME :Alice Cooper")
    assert a.messages()[0].params == ("Alice Cooper",)
    assert b.lines() == []  # bob did not ask for setname


def test_join_replays_recent_history_to_plain_clients_once() -> None:
    net = Net(join_replay=3)
    a = net.user("alice")
    a.say("JOIN #x")
    for n in range(5):
        a.say(f"PRIVMSG #x :message {n}")
    b = net.user("bob")
    b.say("JOIN #x")
    lines = b.lines()
    assert lines[-3:] == [f":alice!~alice@127.0.0.1 PRIVMSG #x :message {n}" for n in (2, 3, 4)]
    b.say("JOIN #x")  # already there: no second replay
    assert b.lines() == []


def test_replay_is_batched_with_tags_for_batch_clients_and_skipped_for_chathistory_ones() -> None:
    net = Net(join_replay=2)
    a = net.user("alice")
    a.say("JOIN #x")
    a.say("PRIVMSG #x :old one")
    b = capable(net, "bob", "batch server-time")
    b.say("JOIN #x")
    msgs = b.messages()
    batch = [m for m in msgs if m.command == "BATCH"]
    assert batch[0].params[1:] == ("chathistory", "#x")
    replayed = [m for m in msgs if m.command == "PRIVMSG"]
    assert replayed[0].params[1] == "old one" and "time" in replayed[0].tags
    c = capable(net, "carol")
    c.say("JOIN #x")
    assert not [m for m in c.messages() if m.command == "PRIVMSG"]


def test_chathistory_latest_before_after_and_targets() -> None:
    net = Net()
    a, b = capable(net, "alice"), capable(net, "bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    for n in range(6):
        a.say(f"PRIVMSG #x :line {n}")
    a.say("PRIVMSG bob :psst")
    b.lines()
    b.say("CHATHISTORY LATEST #x * 3")
    msgs = b.messages()
    assert msgs[0].params[1:] == ("chathistory", "#x")
    texts = [m.params[1] for m in msgs if m.command == "PRIVMSG"]
    assert texts == ["line 3", "line 4", "line 5"]
    first_msgid = next(m for m in msgs if m.command == "PRIVMSG").tags["msgid"]
    b.say(f"CHATHISTORY BEFORE #x msgid={first_msgid} 2")
    assert [m.params[1] for m in b.messages() if m.command == "PRIVMSG"] == ["line 1", "line 2"]
    b.say(f"CHATHISTORY AFTER #x msgid={first_msgid} 10")
    assert [m.params[1] for m in b.messages() if m.command == "PRIVMSG"] == ["line 4", "line 5"]
    b.say("CHATHISTORY LATEST alice * 10")
    assert [m.params[1] for m in b.messages() if m.command == "PRIVMSG"] == ["psst"]
    b.say("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10")
    targets = [m.params[1] for m in b.messages() if m.command == "CHATHISTORY"]
    assert sorted(targets) == ["#x", "alice"]


def test_history_is_access_controlled() -> None:
    net = Net()
    a, _b, c = capable(net, "alice"), capable(net, "bob"), capable(net, "carol")
    a.say("JOIN #secret")
    a.say("PRIVMSG #secret :for members")
    a.say("PRIVMSG bob :between us")
    c.lines()
    c.say("CHATHISTORY LATEST #secret * 10")
    (fail,) = c.messages()
    assert fail.command == "FAIL" and fail.params[:4] == ("CHATHISTORY", "INVALID_TARGET", "LATEST", "#secret")
    c.say("CHATHISTORY LATEST alice * 10")  # carol's own (empty) conversation with alice, not bob's
    assert [m.command for m in c.messages()] == ["BATCH", "BATCH"]


def test_malformed_chathistory_requests_fail_with_standard_codes() -> None:
    net = Net()
    a = capable(net, "alice")
    a.say("JOIN #x")
    a.lines()
    cases = {
        "CHATHISTORY FROB #x * 10": "UNKNOWN_COMMAND",
        "CHATHISTORY LATEST #x": "NEED_MORE_PARAMS",
        "CHATHISTORY LATEST #x * lots": "INVALID_PARAMS",
        "CHATHISTORY LATEST #x * 0": "INVALID_PARAMS",
        "CHATHISTORY BEFORE #x * 10": "INVALID_PARAMS",
        "CHATHISTORY BEFORE #x when=yesterday 10": "INVALID_PARAMS",
        "CHATHISTORY AFTER #x timestamp=not-a-time 10": "INVALID_PARAMS",
        "CHATHISTORY BETWEEN #x * 10": "NEED_MORE_PARAMS",
        "CHATHISTORY LATEST #nochannel * 10": "INVALID_TARGET",
    }
    for line, code in cases.items():
        a.say(line)
        (fail,) = a.messages()
        assert (fail.command, fail.params[0], fail.params[1]) == ("FAIL", "CHATHISTORY", code), line


def test_history_limit_caps_one_request() -> None:
    net = Net(history_limit=5)
    a = capable(net, "alice")
    a.say("JOIN #x")
    for n in range(8):
        a.say(f"PRIVMSG #x :{n}")
    a.lines()
    a.say("CHATHISTORY LATEST #x * 100")
    assert len([m for m in a.messages() if m.command == "PRIVMSG"]) == 5


def test_labelled_chathistory_nests_its_batch() -> None:
    net = Net()
    a = capable(net, "alice")
    a.say("JOIN #x")
    a.say("PRIVMSG #x :one")
    a.lines()
    a.say("@label=h CHATHISTORY LATEST #x * 5")
    lines = a.lines()
    outer = parse_line(lines[0].encode())
    assert outer.tags == {"label": "h"} and outer.params[1] == "labeled-response"
    inner = parse_line(lines[1].encode())
    assert inner.command == "BATCH" and inner.params[1] == "chathistory" and inner.tags["batch"] == outer.params[0][1:]
    message = parse_line(lines[2].encode())
    assert message.tags["batch"] == inner.params[0][1:]


def test_an_away_user_joining_is_announced_to_away_notify_members_only() -> None:
    net = Net()
    a, c = capable(net, "alice"), net.user("carol")
    for user in (a, c):
        user.say("JOIN #x")
    b = net.user("bob")
    b.say("AWAY :already away")
    a.lines(), b.lines(), c.lines()
    b.say("JOIN #x")
    got = [(m.command, m.source, m.params) for m in a.messages()]
    assert got[0][0] == "JOIN" and got[1:] == [("AWAY", "bob!~bob@127.0.0.1", ("already away",))]
    assert "AWAY" not in [m.command for m in b.messages()]  # not told their own status
    assert [m.command for m in c.messages()] == ["JOIN"]  # no away-notify, no AWAY
