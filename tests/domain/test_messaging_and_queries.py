"""PRIVMSG/NOTICE and the query handlers: WHO, WHOIS, LUSERS, MOTD, AWAY, VERSION, TIME, HELP."""

from __future__ import annotations

from .harness import Net


def test_channel_message_reaches_members_but_not_sender_or_outsiders() -> None:
    net = Net()
    a, b, c = net.user("alice"), net.user("bob"), net.user("carol")
    a.say("JOIN #x")
    b.say("JOIN #x")
    a.lines(), b.lines()
    a.say("PRIVMSG #x :hello")
    assert a.lines() == []
    assert b.lines() == [":alice!~alice@127.0.0.1 PRIVMSG #x :hello"]
    assert c.lines() == []
    c.say("PRIVMSG #x :from outside")
    assert c.numerics() == ["404"]  # +n by default


def test_private_messages_several_targets_and_errors() -> None:
    net = Net()
    a, b, c = net.user("alice"), net.user("bob"), net.user("carol")
    a.say("PRIVMSG bob,CAROL :hi both")
    assert b.lines() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi both"]
    assert c.lines() == [":alice!~alice@127.0.0.1 PRIVMSG carol :hi both"]
    a.say("PRIVMSG nobody :x")
    assert a.numerics() == ["401"]
    a.say("PRIVMSG")
    assert a.numerics() == ["411"]
    a.say("PRIVMSG bob")
    assert a.numerics() == ["412"]
    a.say("PRIVMSG a,b,c,d,e :x")
    assert a.numerics() == ["407"]


def test_notice_never_gets_an_error_reply() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("NOTICE nobody :x")
    a.say("NOTICE")
    assert a.lines() == []
    a.say("NOTICE bob :psst")
    assert b.lines() == [":alice!~alice@127.0.0.1 NOTICE bob :psst"]


def test_client_only_tags_are_kept_on_the_event() -> None:
    net = Net()
    a, _b = net.user("alice"), net.user("bob")
    a.say("@+draft/react=x;time=forged PRIVMSG bob :tagged")
    entry = net.log.read_after(0)[-1]
    assert entry.event.tags == {"+draft/react": "x"}


def test_away_is_reported_to_private_senders_and_in_whois() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    b.say("AWAY :lunch")
    assert b.numerics() == ["306"]
    a.say("PRIVMSG bob :there?")
    assert a.lines() == [":chat.local 301 alice bob :lunch"]
    a.say("WHOIS bob")
    assert "301" in a.numerics()
    assert b.lines() == [":alice!~alice@127.0.0.1 PRIVMSG bob :there?"]
    b.say("AWAY")
    assert b.numerics() == ["305"]


def test_whois_and_who() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    b.say("JOIN #x")
    a.say("WHOIS BOB")
    msgs = a.messages()
    assert [m.command for m in msgs] == ["311", "319", "312", "317", "318"]
    assert msgs[0].params[1:] == ("bob", "~bob", "127.0.0.1", "*", "bob real")
    assert msgs[1].params[2] == "@#x"
    a.say("WHOIS ghost")
    assert a.numerics() == ["401", "318"]
    a.say("WHO #x")
    msgs = a.messages()
    assert [m.command for m in msgs] == ["352", "315"]
    assert msgs[0].params[1:7] == ("#x", "~bob", "127.0.0.1", "chat.local", "bob", "H@")
    a.say("WHO b*")
    assert [m.params[5] for m in a.messages() if m.command == "352"] == ["bob"]


def test_who_of_a_channel_names_it_as_it_is_spelled() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    b.say("JOIN #Chan")
    a.say("WHO #CHAN")
    who, end = a.messages()
    assert who.command == "352" and who.params[1] == "#Chan"
    assert end.command == "315" and end.params[1] == "#CHAN"  # the end echoes the query


def test_an_invisible_user_is_hidden_from_masks_but_not_from_their_nick_or_a_shared_channel() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("evan")
    b.say("MODE evan +i")
    a.say("WHO eva*")
    assert a.numerics() == ["315"]
    a.say("WHO EVAN")
    assert a.numerics() == ["352", "315"]
    b.say("JOIN #x")
    a.say("JOIN #x")
    a.lines()
    a.say("WHO eva*")
    assert a.numerics() == ["352", "315"]


def test_userhost_tells_host_operator_and_away() -> None:
    net = Net()
    a, b = net.user("alice"), net.user("bob")
    a.say("USERHOST bob ghost alice")
    assert a.lines() == [":chat.local 302 alice :bob=+~bob@127.0.0.1 alice=+~alice@127.0.0.1"]
    b.say("AWAY :gone")
    a.say("USERHOST bob")
    assert a.lines() == [":chat.local 302 alice :bob=-~bob@127.0.0.1"]
    a.say("USERHOST")
    assert a.numerics() == ["461"]


def test_multi_prefix_shows_every_prefix() -> None:
    net = Net()
    a = net.user("alice")
    a.say("JOIN #x")
    a.say("MODE #x +v alice")
    a.lines()
    a.say("NAMES #x")
    assert a.lines()[0].endswith(":@alice")
    a.session.caps |= {"multi-prefix"}
    a.say("NAMES #x")
    assert a.lines()[0].endswith(":@+alice")


def test_lusers_motd_version_time_help() -> None:
    net = Net(motd=("line one",))
    a = net.user("alice")
    net.connect()  # an unregistered connection
    a.say("LUSERS")
    msgs = a.messages()
    assert msgs[0].params[1] == "There are 1 users and 0 invisible on 1 servers"
    assert [m.params[1] for m in msgs if m.command == "253"] == ["0"]
    a.say("MOTD")
    assert a.lines() == [
        ":chat.local 375 alice :- chat.local Message of the day - ",
        ":chat.local 372 alice :- line one",
        ":chat.local 376 alice :End of /MOTD command.",
    ]
    a.say("VERSION")
    assert a.numerics() == ["351"]
    a.say("TIME")
    (time_reply,) = a.messages()
    assert time_reply.command == "391" and time_reply.params[2] == str(int(net.now))
    a.say("HELP")
    helps = a.messages()
    assert helps[0].command == "704" and helps[-1].command == "706" and len(helps) > 20
    a.say("HELP join")
    assert a.numerics() == ["704", "706"]
    a.say("HELP nosuch")
    assert a.numerics() == ["524"]
    a.say("HELPOP privmsg")
    assert a.numerics() == ["704", "706"]


def test_no_motd_is_422() -> None:
    net = Net(motd=())
    a = net.connect()
    a.say("NICK a")
    a.say("USER a 0 * :a")
    assert a.numerics()[-1] == "422"


def test_whowas_remembers_who_held_a_nick_newest_first() -> None:
    net = Net()
    asker = net.user("asker")
    first = net.user("nick2")
    first.say("QUIT :bye")
    second = net.connect()
    second.say("NICK nick2")
    second.say("USER ident3 0 * :Third Real")
    second.say("NICK moved")  # a NICK change gives the old nick up too
    asker.lines()
    asker.say("WHOWAS nick2")
    lines = asker.lines()
    assert lines == [":chat.local 314 asker nick2 ~ident3 127.0.0.1 * :Third Real",
                     ":chat.local 312 asker nick2 chat.local :ChatNet",
                     ":chat.local 314 asker nick2 ~nick2 127.0.0.1 * :nick2 real",
                     ":chat.local 312 asker nick2 chat.local :ChatNet",
                     ":chat.local 369 asker nick2 :End of WHOWAS"]
    asker.say("WHOWAS nick2 1")
    assert asker.numerics() == ["314", "312", "369"]
    for count in ("0", "-1"):  # a non-positive count is a full search
        asker.say(f"WHOWAS nick2 {count}")
        assert asker.numerics() == ["314", "312", "314", "312", "369"]
    asker.say("WHOWAS *CK2")  # a mask, case-insensitive
    assert asker.numerics().count("314") == 2
    asker.say("WHOWAS nobody")
    assert asker.lines() == [":chat.local 406 asker nobody :There was no such nickname",
                             ":chat.local 369 asker nobody :End of WHOWAS"]
    asker.say("WHOWAS")
    assert asker.numerics() == ["431"]
    asker.say("WHOWAS asker")  # someone still using it never gave it up
    assert asker.numerics() == ["406", "369"]
