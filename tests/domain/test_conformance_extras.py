"""Smaller conformance features: BOT mode, LUSERS peak, tag size limits, userhost-in-names."""

from __future__ import annotations

from .harness import Net
from .test_ircv3 import capable


def test_bot_mode_tags_messages_and_shows_in_whois_and_who() -> None:
    net = Net()
    bot = capable(net, "bot", "message-tags echo-message")
    tagged, plain = capable(net, "tagged", "message-tags"), net.user("plain")
    bot.say("MODE bot +B")
    (mode,) = bot.messages()
    assert (mode.command, mode.params) == ("MODE", ("bot", "+B"))
    bot.say("PRIVMSG tagged :beep")
    assert bot.messages()[0].tags.get("bot") == ""  # the echo carries it too
    assert tagged.messages()[0].tags.get("bot") == ""
    bot.say("PRIVMSG plain :beep")
    assert plain.lines() == [":bot!~bot@127.0.0.1 PRIVMSG plain :beep"]
    plain.say("WHOIS bot")
    assert any(m.command == "335" and m.params[1] == "bot" for m in plain.messages())
    bot.say("JOIN #x")
    plain.say("WHO #x")
    assert plain.messages()[0].params[6] == "HB@"


def test_isupport_names_the_bot_mode_and_004_lists_it() -> None:
    u = Net().connect()
    u.say("NICK a")
    u.say("USER a 0 * :a")
    messages = u.messages()
    assert "BOT=B" in {t for m in messages if m.command == "005" for t in m.params}
    assert "B" in next(m for m in messages if m.command == "004").params[3]


def test_lusers_reports_the_peak_alongside_the_current_count() -> None:
    net = Net()
    a = net.user("alice")
    b = net.user("bob")
    b.say("QUIT")
    a.say("LUSERS")
    lusers = {m.command: m.params for m in a.messages()}
    assert lusers["265"][1:3] == ("1", "2")
    assert lusers["266"][1:3] == ("1", "2")


def test_client_tag_data_is_limited_to_4094_bytes() -> None:
    net = Net()
    a = capable(net, "alice", "message-tags echo-message")
    a.say("JOIN #t")
    a.lines()
    at_limit = "@foo=bar;+baz=%s TAGMSG #t" % ("a" * 4081)
    assert at_limit.index("TAGMSG") == 4096
    a.say(at_limit)
    assert [m.command for m in a.messages()] == ["TAGMSG"]
    a.say("@foo=bar;+baz=%s TAGMSG #t" % ("a" * 4082))
    assert a.numerics() == ["417"]


def test_userhost_in_names_gives_full_sources() -> None:
    net = Net()
    a = capable(net, "alice", "userhost-in-names multi-prefix")
    b = net.user("bob")
    a.say("JOIN #x")
    b.say("JOIN #x")
    a.lines(), b.lines()
    a.say("NAMES #x")
    assert set(a.messages()[0].params[-1].split()) == {"@alice!~alice@127.0.0.1", "bob!~bob@127.0.0.1"}
    b.say("NAMES #x")
    assert set(b.messages()[0].params[-1].split()) == {"@alice", "bob"}


def test_statusmsg_reaches_only_the_members_with_that_status() -> None:
    net = Net()
    op = net.user("op")
    voiced, plain = net.user("voiced"), net.user("plain")
    sender = capable(net, "sender", "echo-message")
    for user in (op, voiced, plain, sender):
        user.say("JOIN #c")
    op.say("MODE #c +v voiced")
    for user in (op, voiced, plain, sender):
        user.lines()
    sender.say("PRIVMSG @#c :ops only")
    assert op.lines() == [":sender!~sender@127.0.0.1 PRIVMSG @#c :ops only"]
    assert voiced.lines() == [] and plain.lines() == []
    assert sender.lines() == [":sender!~sender@127.0.0.1 PRIVMSG @#c :ops only"]  # one echo
    plain.say("PRIVMSG +#c :ops and voiced")
    assert len(op.lines()) == 1 and len(voiced.lines()) == 1 and plain.lines() == []
    outsider = net.user("outsider")
    outsider.say("PRIVMSG @#c :let me in")
    assert outsider.numerics() == ["404"] and op.lines() == []
    outsider.say("PRIVMSG @#nowhere :hello")
    assert outsider.numerics() == ["401"]
    plain.say("PRIVMSG #c :for all")
    op.lines()
    op.say("CHATHISTORY LATEST #c * 10")  # status messages are never kept in history
    assert [m.params[1] for m in op.messages() if m.command == "PRIVMSG"] == ["for all"]
