"""RENAME (draft/channel-rename): the channel keeps its state; clients without the cap see PART and JOIN."""

from __future__ import annotations

from .harness import Net
from .test_ircv3 import capable


def test_rename_moves_the_channel_and_falls_back_for_plain_clients() -> None:
    net = Net()
    op = capable(net, "op", "draft/channel-rename")
    plain = net.user("plain")
    op.say("JOIN #old")
    plain.say("JOIN #old")
    op.say("TOPIC #old :kept")
    op.say("MODE #old +m")
    op.lines(), plain.lines()
    op.say("RENAME #old #new :tidy")
    assert op.lines() == [":op!~op@127.0.0.1 RENAME #old #new :tidy"]
    assert plain.lines() == [":plain!~plain@127.0.0.1 PART #old :tidy", ":plain!~plain@127.0.0.1 JOIN #new"]
    plain.say("PRIVMSG #new :moderated still")
    assert plain.numerics() == ["404"]
    op.say("PRIVMSG #new :delivered under the new name")
    assert plain.lines() == [":op!~op@127.0.0.1 PRIVMSG #new :delivered under the new name"]
    plain.say("TOPIC #new")
    assert plain.messages()[0].params[-1] == "kept"
    fresh = net.user("fresh")
    fresh.say("JOIN #old")  # the old name is free: a new channel, with its creator as operator
    assert any(m.command == "353" and "@fresh" in m.params[-1] for m in fresh.messages())


def test_rename_refusals_and_a_change_of_case() -> None:
    net = Net()
    op = capable(net, "op", "draft/channel-rename")
    member = net.user("member")
    op.say("JOIN #a,#b")
    member.say("JOIN #a")
    op.lines(), member.lines()
    member.say("RENAME #a #c")
    assert member.numerics() == ["482"]
    op.say("RENAME #a #b")
    op.say("RENAME #a nohash")
    assert [m.params[:2] for m in op.messages()] == [("RENAME", "CHANNEL_NAME_IN_USE"), ("RENAME", "CANNOT_RENAME")]
    op.say("RENAME #a #A")
    assert op.messages()[0].params == ("#a", "#A", "")
    assert member.lines() == []  # a change of case only: no PART and JOIN
