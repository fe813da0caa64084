"""METADATA (draft/metadata-3): values on users and channels, permissions, subscriptions and their notices."""

from __future__ import annotations

from server.domain.metadata import MAX_KEYS

from .harness import Net, NetUser
from .test_ircv3 import capable

CAPS = "draft/metadata-3 batch"


def batch_body(user: NetUser) -> list[tuple[str, tuple[str, ...]]]:
    """The (command, params) inside the one metadata batch the user just got."""
    messages = user.messages()
    assert messages[0].command == "BATCH" and messages[0].params[1] == "metadata", messages
    assert messages[-1].command == "BATCH"
    return [(m.command, m.params) for m in messages[1:-1]]


def test_a_user_sets_gets_lists_and_unsets_their_own_keys() -> None:
    net = Net()
    foo = capable(net, "foo", CAPS)
    foo.say("METADATA * SET display-name :Foo The First")
    assert foo.lines() == [":chat.local 761 foo foo display-name * :Foo The First"]
    foo.say("METADATA foo GET display-name avatar")
    assert batch_body(foo) == [("761", ("foo", "foo", "display-name", "*", "Foo The First")),
                               ("766", ("foo", "foo", "avatar", "key not set"))]
    foo.say("METADATA * SET display-name")
    assert foo.numerics() == ["766"]
    foo.say("METADATA * LIST")
    assert batch_body(foo) == []


def test_others_may_read_but_not_change_a_users_keys() -> None:
    net = Net()
    foo, bar = capable(net, "foo", CAPS), capable(net, "bar", CAPS)
    bar.say("METADATA * SET color :#c90076")
    bar.lines()
    foo.say("METADATA bar SET display-name :Not Foo")
    foo.say("METADATA bar CLEAR")
    assert [m.params[:4] for m in foo.messages()] == [("METADATA", "KEY_NO_PERMISSION", "bar", "display-name"),
                                                      ("METADATA", "KEY_NO_PERMISSION", "bar", "*")]
    foo.say("METADATA bar LIST")
    assert batch_body(foo) == [("761", ("foo", "bar", "color", "*", "#c90076"))]
    foo.say("METADATA nobody LIST")
    assert foo.messages()[0].params[:3] == ("METADATA", "INVALID_TARGET", "nobody")
    assert bar.lines() == []
    foo.say("WHOIS bar")
    assert [m.params for m in foo.messages() if m.command == "760"] == [("foo", "bar", "color", "*", "#c90076")]


def test_channel_keys_are_for_operators_to_set_and_hidden_from_outsiders_of_private_channels() -> None:
    net = Net()
    op, member, outsider = capable(net, "op", CAPS), capable(net, "member", CAPS), capable(net, "out", CAPS)
    op.say("JOIN #c")
    member.say("JOIN #c")
    op.say("METADATA #c SET display-name :Hash Channel")
    op.say("METADATA #c SET avatar :https://example.com/c.png")
    op.lines()
    member.say("METADATA #c SET display-name :Mine")
    assert member.messages()[-1].params[:4] == ("METADATA", "KEY_NO_PERMISSION", "#c", "display-name")
    member.say("METADATA #c GET display-name")
    assert batch_body(member) == [("761", ("member", "#c", "display-name", "*", "Hash Channel"))]
    op.say("MODE #c +i")
    outsider.say("METADATA #c LIST")
    (refused,) = outsider.messages()
    assert refused.params[:2] == ("METADATA", "KEY_NO_PERMISSION") and "Hash Channel" not in refused.params
    op.lines()
    op.say("METADATA #c CLEAR")
    assert sorted(p[2] for _, p in batch_body(op)) == ["avatar", "display-name"]


def test_subscribers_sharing_a_channel_hear_of_changes_and_learn_values_on_join() -> None:
    net = Net()
    foo, bar, plain = capable(net, "foo", CAPS), capable(net, "bar", CAPS), capable(net, "plain", CAPS)
    bar.say("METADATA * SUB display-name avatar")
    assert bar.lines() == [":chat.local 770 bar display-name :avatar"]
    foo.say("METADATA * SET display-name :Before")
    assert bar.lines() == []  # no shared channel yet
    for user in (foo, plain):
        user.say("JOIN #c")
    foo.say("METADATA #c SET avatar :pic")
    bar.say("JOIN #c")
    values = sorted(m.params for m in bar.messages() if m.command == "761")
    assert values == [("bar", "#c", "avatar", "*", "pic"), ("bar", "foo", "display-name", "*", "Before")]
    foo.lines(), plain.lines()
    foo.say("METADATA * SET display-name :After")
    assert bar.lines() == [":chat.local 761 bar foo display-name * After"]
    assert plain.lines() == []  # not subscribed
    assert foo.numerics() == ["761"]  # its own reply only
    foo.say("METADATA * SET display-name")
    assert bar.lines() == [":chat.local 766 bar foo display-name :key not set"]


def test_bad_keys_values_and_limits_are_refused() -> None:
    net = Net()
    foo = capable(net, "foo", CAPS)
    foo.say("METADATA * SET bad!key :x")
    foo.say("METADATA * SET display-name :" + "abcd" * 120)
    assert [m.params[1] for m in foo.messages()] == ["KEY_INVALID", "INVALID_VALUE"]
    for i in range(MAX_KEYS):
        foo.say(f"METADATA * SET k{i} :v")
    foo.lines()
    foo.say("METADATA * SET one-more :v")
    assert foo.messages()[0].params[:2] == ("METADATA", "LIMIT_REACHED")


def test_metadata_goes_with_its_user_and_its_channel() -> None:
    net = Net()
    foo = capable(net, "foo", CAPS)
    foo.say("JOIN #c")
    foo.say("METADATA #c SET topic-ish :x")
    foo.say("METADATA * SET display-name :x")
    foo.say("QUIT")
    assert not net.world._user_meta and not net.world._channel_meta


def test_a_value_that_is_not_utf8_is_refused_with_fail_metadata_invalid_utf8() -> None:
    net = Net()
    foo, bar = capable(net, "foo", CAPS), capable(net, "bar", CAPS)
    for user in (foo, bar):
        user.say("JOIN #c")
    bar.say("METADATA * SUB display-name")
    foo.lines(), bar.lines()
    foo.send_raw(b"METADATA * SET display-name :invalid UTF-8 ->\xc3<-\r\n")
    foo.send_raw(b":foo METADATA * SET display-name :\xff\r\n")  # a source prefix does not hide the command
    assert [m.params[:2] for m in foo.messages()] == [("METADATA", "INVALID_UTF8"), ("METADATA", "INVALID_UTF8")]
    assert bar.lines() == []
    foo.say("METADATA * GET display-name")
    assert "761" not in foo.numerics()
