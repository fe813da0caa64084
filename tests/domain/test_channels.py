"""Channel handlers: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE, MODE."""

from __future__ import annotations

from .harness import Net


def joined(net: Net, channel: str, *nicks: str):  # type: ignore[no-untyped-def]
    users = [net.user(nick) for nick in nicks]
    for u in users:
        u.say(f"JOIN {channel}")
    for u in users:
        u.lines()
    return users


def test_join_sends_join_then_names_and_creator_is_op() -> None:
    net = Net()
    a = net.user("alice")
    a.say("JOIN #Chat")
    lines = a.lines()
    assert lines[0] == ":alice!~alice@127.0.0.1 JOIN #Chat"
    assert lines[1] == ":chat.local 353 alice = #Chat :@alice"
    assert lines[2].startswith(":chat.local 366 alice #Chat ")
    b = net.user("bob")
    b.say("JOIN #chat")  # case-insensitive: the same channel
    assert b.lines()[1] == ":chat.local 353 bob = #Chat :@alice bob"
    assert a.lines() == [":bob!~bob@127.0.0.1 JOIN #Chat"]


def test_join_several_channels_with_keys_and_join_0() -> None:
    net = Net()
    a = net.user("alice")
    a.say("JOIN #a,#b")
    assert [m.command for m in a.messages()].count("JOIN") == 2
    a.say("MODE #b +k secret")
    a.lines()
    b = net.user("bob")
    b.say("JOIN #a,#b")
    assert "475" in b.numerics()
    b.say("JOIN #b secret")
    assert b.numerics()[0] == "JOIN"
    b.say("JOIN 0")
    assert [m.command for m in b.messages()] == ["PART", "PART"]
    assert net.world.user_channels(b.conn_id) == ()


def test_invalid_channel_names_get_403() -> None:
    a = Net().user("alice")
    a.say("JOIN nochan")
    assert a.numerics() == ["403"]


def test_part_and_errors() -> None:
    net = Net()
    a, b = joined(net, "#x", "alice", "bob")
    b.say("PART #x :see you")
    assert a.lines() == [":bob!~bob@127.0.0.1 PART #x :see you"]
    assert b.lines() == [":bob!~bob@127.0.0.1 PART #x :see you"]
    b.say("PART #x")
    assert b.numerics() == ["442"]
    b.say("PART #nope")
    assert b.numerics() == ["403"]


def test_topic_set_query_and_plus_t() -> None:
    net = Net()
    a, b = joined(net, "#x", "alice", "bob")
    b.say("TOPIC #x :mine")
    assert b.numerics() == ["482"]  # +t by default
    a.say("TOPIC #x :the topic")
    assert b.lines() == [":alice!~alice@127.0.0.1 TOPIC #x :the topic"]
    a.lines()
    b.say("TOPIC #x")
    assert b.numerics() == ["332", "333"]
    a.say("MODE #x -t")
    assert a.lines() == b.lines() == [":alice!~alice@127.0.0.1 MODE #x -t"]
    b.say("TOPIC #x :bob's now")
    assert a.lines() == [":bob!~bob@127.0.0.1 TOPIC #x :bob's now"]
    c = net.user("carol")
    c.say("JOIN #x")
    assert [m.command for m in c.messages()][:3] == ["JOIN", "332", "333"]


def test_a_big_channel_s_names_come_in_several_lines_with_every_member_once() -> None:
    net = Net()
    nicks = [f"member{i:03d}" for i in range(120)]
    joined(net, "#big", *nicks)
    late = net.user("late")
    late.say("JOIN #big")
    replies = [m for m in late.messages() if m.command == "353"]
    assert len(replies) > 1
    assert all(len(m.to_bytes()) <= 512 for m in replies)
    names = [name for m in replies for name in m.params[-1].split()]
    assert names == ["@member000", *nicks[1:], "late"]


def test_names_and_list() -> None:
    net = Net()
    a, _b = joined(net, "#x", "alice", "bob")
    a.say("TOPIC #x :hello")
    a.lines()
    a.say("NAMES #x")
    assert a.lines()[0] == ":chat.local 353 alice = #x :@alice bob"
    a.say("NAMES #empty")
    assert a.numerics() == ["366"]
    a.say("LIST")
    msgs = a.messages()
    assert [m.command for m in msgs] == ["321", "322", "323"]
    assert msgs[1].params[1:] == ("#x", "2", "hello")


def test_secret_channels_are_hidden_from_outsiders() -> None:
    net = Net()
    (a,) = joined(net, "#hidden", "alice")
    a.say("MODE #hidden +s")
    c = net.user("carol")
    c.say("LIST")
    assert c.numerics() == ["321", "323"]
    c.say("NAMES #hidden")
    assert c.numerics() == ["366"]


def test_kick_by_operator_only() -> None:
    net = Net()
    a, b, c = joined(net, "#x", "alice", "bob", "carol")
    b.say("KICK #x carol :no")
    assert b.numerics() == ["482"]
    a.say("KICK #x carol :bye")
    expected = ":alice!~alice@127.0.0.1 KICK #x carol :bye"
    assert a.lines() == [expected] and b.lines() == [expected] and c.lines() == [expected]
    c.say("PRIVMSG #x :still here?")
    assert c.numerics() == ["404"]
    a.say("KICK #x nobody")
    assert a.numerics() == ["441"]


def test_mode_op_voice_moderated_and_query() -> None:
    net = Net()
    a, b = joined(net, "#x", "alice", "bob")
    a.say("MODE #x")
    assert a.lines()[0] == ":chat.local 324 alice #x :+nt"
    a.say("MODE #x +m")
    b.lines()
    b.say("PRIVMSG #x :hi")
    assert b.numerics() == ["404"]
    a.say("MODE #x +v bob")
    assert b.lines() == [":alice!~alice@127.0.0.1 MODE #x +v bob"]
    b.say("PRIVMSG #x :hi")
    assert a.lines()[-1] == ":bob!~bob@127.0.0.1 PRIVMSG #x :hi"
    a.say("MODE #x +o bob")
    a.lines()
    b.lines()
    b.say("MODE #x -o alice")
    assert a.lines() == [":bob!~bob@127.0.0.1 MODE #x -o alice"]
    a.say("MODE #x +i")
    assert a.numerics() == ["482"]
    a.say("MODE #x +Z")
    assert a.numerics() == ["472"]


def test_op_or_voice_of_an_unknown_nick_is_401_and_the_other_changes_apply() -> None:
    net = Net()
    a, _b = joined(net, "#x", "alice", "bob")
    a.say("MODE #x +o nobody")
    assert a.lines() == [":chat.local 401 alice nobody :No such nick/channel"]
    a.say("MODE #x +vm nobody")
    # the change the command logged goes out first, its replies after it (DEVELOPING.md: the send barrier)
    assert a.lines() == [":alice!~alice@127.0.0.1 MODE #x +m", ":chat.local 401 alice nobody :No such nick/channel"]
    a.say("MODE #nowhere +o bob")
    assert a.numerics() == ["403"]


def test_limit_invite_only_and_ban() -> None:
    net = Net()
    (a,) = joined(net, "#x", "alice")
    a.say("MODE #x +l 1")
    b = net.user("bob")
    b.say("JOIN #x")
    assert b.numerics() == ["471"]
    a.say("MODE #x -l+i")
    b.say("JOIN #x")
    assert b.numerics() == ["473"]
    a.lines()
    a.say("INVITE bob #x")
    assert a.numerics() == ["341"]
    assert b.lines() == [":alice!~alice@127.0.0.1 INVITE bob #x"]
    b.say("JOIN #x")
    assert b.numerics()[0] == "JOIN"
    c = net.user("carol")
    a.say("MODE #x -i+b carol!*@*")
    c.say("JOIN #x")
    assert c.numerics() == ["474"]
    a.lines()
    a.say("MODE #x +b")
    assert a.numerics() == ["367", "368"]


def test_user_modes() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MODE alice +i")
    assert a.lines() == [":alice!~alice@127.0.0.1 MODE alice +i"]
    a.say("MODE alice")
    assert a.lines() == [":chat.local 221 alice :+i"]
    net.user("bob")
    a.say("MODE bob +i")
    assert a.numerics() == ["502"]
    a.say("MODE alice +o")  # only OPER grants +o; the attempt is ignored (RFC 2812 3.1.5)
    assert a.numerics() == []
    a.say("MODE alice +Z")  # +Z is the server's to set, on TLS connections: ignored too
    assert a.numerics() == []
    a.say("MODE alice +Q")
    assert a.numerics() == ["501"]


def test_a_key_that_join_could_not_carry_is_refused_with_696() -> None:
    net = Net()
    a = net.user("alice")
    a.say("JOIN #k")
    a.lines()
    for key in ("with spaces", "", " ", "a,b"):
        a.say(f"MODE #k +k :{key}")
        assert a.lines() == [":chat.local 696 alice #k k * :Invalid key: no spaces, commas or control characters"]
    a.say("MODE #k +kt fine")  # a valid key still goes through, with the rest
    assert a.lines() == [":alice!~alice@127.0.0.1 MODE #k +k fine"]
