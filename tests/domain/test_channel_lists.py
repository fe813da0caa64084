"""Channel list modes (+b +e +I), the mute extban, +C, invites past +l, multi-target KICK and LIST's search terms."""

from __future__ import annotations

from server.domain.channel_rules import MAX_LIST_ENTRIES

from .harness import Net, NetUser
from .test_ircv3 import capable


def opped_channel(net: Net, *modes: str) -> NetUser:
    op = net.user("op")
    op.say("JOIN #c")
    for mode in modes:
        op.say(f"MODE #c {mode}")
    op.lines()
    return op


def test_list_entries_name_who_set_them_and_when() -> None:
    net = Net()
    op = opped_channel(net, "+b bad!*@*", "+e good!*@*", "+I inv!*@*")
    for letter, mask, entry, end in (("b", "bad!*@*", "367", "368"), ("e", "good!*@*", "348", "349"),
                                     ("I", "inv!*@*", "346", "347")):
        op.say(f"MODE #c +{letter}")
        first, last = op.messages()
        assert first.command == entry and last.command == end
        assert first.params[2:] == (mask, "op!~op@127.0.0.1", str(int(net.now)))


def test_a_ban_exception_lets_a_banned_user_in() -> None:
    net = Net()
    op = opped_channel(net, "+b ba*!*@*")
    bar = net.user("bar")
    bar.say("JOIN #c")
    assert bar.numerics() == ["474"]
    op.say("MODE #c +e *ar!*@*")
    bar.say("JOIN #c")
    assert bar.messages()[0].command == "JOIN"


def test_an_invite_exception_opens_an_invite_only_channel_to_its_masks() -> None:
    net = Net()
    op = opped_channel(net, "+i")
    bar, baz = net.user("bar"), net.user("baz")
    op.say("MODE #c +I bar!*@*")
    bar.say("JOIN #c")
    baz.say("JOIN #c")
    assert bar.messages()[0].command == "JOIN"
    assert baz.numerics() == ["473"]
    op.say("MODE #c -I BAR!*@*")  # masks compare without case
    assert op.messages()[-1].params == ("#c", "-I", "BAR!*@*")


def test_mute_extban_silences_until_voiced_or_excepted() -> None:
    net = Net()
    op = opped_channel(net, "+b m:qux!*@*")
    qux = net.user("qux")
    qux.say("JOIN #c")
    op.lines(), qux.lines()
    qux.say("PRIVMSG #c :hi")
    assert qux.numerics() == ["404"] and op.lines() == []
    op.say("MODE #c +e m:qux!*@*")
    qux.say("PRIVMSG #c :now")
    assert op.lines()[-1].endswith("PRIVMSG #c :now")
    op.say("MODE #c -e m:qux!*@*")
    op.say("MODE #c +v qux")
    op.lines()
    qux.say("PRIVMSG #c :voiced")
    assert op.lines()[-1].endswith("PRIVMSG #c :voiced")


def test_an_extban_prefix_means_the_same_in_either_case() -> None:
    net = Net()
    op = opped_channel(net, "+b M:qux!*@*")  # a mute, not a ban of the mask "M:qux!*@*"
    qux = net.user("qux")
    qux.say("JOIN #c")
    assert qux.messages()[0].command == "JOIN"
    op.lines(), qux.lines()
    qux.say("PRIVMSG #c :hi")
    assert qux.numerics() == ["404"] and op.lines() == []


def test_no_ctcp_mode_lets_action_through_only() -> None:
    net = Net()
    op = opped_channel(net, "+C")
    user = net.user("user")
    user.say("JOIN #c")
    op.lines()
    user.lines()
    user.say("PRIVMSG #c :\x01ACTION waves\x01")
    user.say("PRIVMSG #c :\x01VERSION\x01")
    assert user.numerics() == ["404"]
    assert [m.params[1] for m in op.messages()] == ["\x01ACTION waves\x01"]


def test_an_invite_lets_one_in_past_the_limit() -> None:
    net = Net()
    op = opped_channel(net, "+l 1")
    late = net.user("late")
    late.say("JOIN #c")
    assert late.numerics() == ["471"]
    op.say("INVITE late #c")
    late.say("JOIN #c")
    assert [m.command for m in late.messages()][-3:] == ["JOIN", "353", "366"]


def test_kick_takes_several_nicks() -> None:
    net = Net()
    op = opped_channel(net)
    for nick in ("bar", "baz", "qux"):
        net.user(nick).say("JOIN #c")
    op.lines()
    op.say("KICK #c bar,baz :bye")
    assert [(m.command, m.params) for m in op.messages()] == [("KICK", ("#c", "bar", "bye")),
                                                               ("KICK", ("#c", "baz", "bye"))]


def test_list_search_terms() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("JOIN #chan1,#chan2")
    b.say("JOIN #chan2")
    net.now += 600
    a.say("TOPIC #chan1 :old topic")
    net.now += 300

    def listed(terms: str) -> set[str]:
        b.lines()
        b.say(f"LIST {terms}")
        return {m.params[1] for m in b.messages() if m.command == "322"}

    assert listed("*an1") == {"#chan1"}
    assert listed("!*an1") == {"#chan2"}
    assert listed(">1") == {"#chan2"} and listed("<2") == {"#chan1"}
    assert listed("C>10") == {"#chan1", "#chan2"} and listed("C<10") == set()
    assert listed("T>2") == {"#chan1"} and listed("T<2") == set()
    assert listed("#chan2") == {"#chan2"}
    b.say("LIST >x")
    assert b.numerics() == ["323"]


def test_invite_notify_tells_the_other_operators_with_the_cap() -> None:
    net = Net()
    op = opped_channel(net)
    co_op, member = capable(net, "coop", "invite-notify"), capable(net, "member", "invite-notify")
    plain_op = net.user("plainop")
    for user in (co_op, member, plain_op):
        user.say("JOIN #c")
    op.say("MODE #c +oo coop plainop")
    guest = net.user("guest")
    for user in (op, co_op, member, plain_op):
        user.lines()
    op.say("INVITE guest #c")
    assert guest.lines() == [":op!~op@127.0.0.1 INVITE guest #c"]
    assert co_op.lines() == [":op!~op@127.0.0.1 INVITE guest #c"]
    assert member.lines() == [] and plain_op.lines() == []
    assert op.numerics() == ["341"]


def test_invite_without_parameters_lists_pending_invites() -> None:
    net = Net()
    op = opped_channel(net)
    guest = net.user("guest")
    op.say("INVITE guest #c")
    guest.lines()
    guest.say("INVITE")
    assert [(m.command, m.params[1:]) for m in guest.messages()] == [("336", ("#c",)),
                                                                     ("337", ("End of /INVITE list",))]
    guest.say("INVITE guest")
    assert guest.numerics() == ["461"]


def test_names_of_several_channels_ends_once() -> None:
    net = Net()
    a = net.user("alice")
    a.say("JOIN #one,#two")
    a.lines()
    a.say("NAMES #one,#two")
    assert [(m.command, m.params[-2]) for m in a.messages()] == [("353", "#one"), ("353", "#two"),
                                                                 ("366", "#one,#two")]


def test_each_list_is_bounded() -> None:
    net = Net()
    op = opped_channel(net)
    for i in range(MAX_LIST_ENTRIES):
        op.say(f"MODE #c +e n{i}!*@*")
    op.lines()
    op.say("MODE #c +e extra!*@*")
    (full,) = op.messages()
    assert full.command == "478" and full.params[1:3] == ("#c", "extra!*@*")
    op.say("MODE #c +b other!*@*")  # the other lists have room of their own
    assert op.messages()[0].command == "MODE"


def test_account_extban_matches_the_account_not_the_nick() -> None:
    from .test_accounts import registered  # an account needs NickServ, which test_accounts drives

    net = Net()
    op = opped_channel(net, "+b a:bo*")
    impostor = net.user("bob")  # nick bob, not logged in: an account ban does not match
    impostor.say("JOIN #c")
    assert impostor.messages()[0].command == "JOIN"
    impostor.say("QUIT")
    carol = registered(net, "bobby")  # logged in to bobby, which a:bo* matches
    carol.say("JOIN #c")
    assert carol.numerics() == ["474"]
    op.say("MODE #c +e a:BOBBY")  # an account exception, without case
    carol.say("JOIN #c")
    assert carol.messages()[0].command == "JOIN"


def test_account_extban_in_invite_exceptions_and_mutes() -> None:
    from .test_accounts import registered

    net = Net()
    op = opped_channel(net, "+i", "+I a:dave", "+b m:a:dave")
    dave = registered(net, "dave")
    dave.say("JOIN #c")
    assert dave.messages()[0].command == "JOIN"
    op.lines(), dave.lines()
    dave.say("PRIVMSG #c :hi")
    assert dave.numerics() == ["404"] and op.lines() == []
    eve = net.user("eve")  # not logged in: +I a:dave does not let her in
    eve.say("JOIN #c")
    assert eve.numerics() == ["473"]


def test_isupport_names_the_account_extban() -> None:
    net = Net()
    user = net.connect()
    user.say("NICK zed")
    user.say("USER zed 0 * :z")
    isupport = " ".join(line for line in user.lines() if " 005 " in line)
    assert "EXTBAN=,am" in isupport and "ACCOUNTEXTBAN=a" in isupport
