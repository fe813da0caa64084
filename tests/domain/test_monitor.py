"""MONITOR and extended-monitor: 730-734 and the notices across NICK and QUIT."""

from __future__ import annotations

from server.domain.monitor import MONITOR_LIMIT

from .harness import Net
from .test_ircv3 import capable


def test_monitor_reports_online_and_offline_targets_at_once() -> None:
    net = Net()
    a = net.user("alice")
    net.user("bob")
    a.say("MONITOR + bob,carol")
    assert a.lines() == [":chat.local 730 alice :bob!~bob@127.0.0.1", ":chat.local 731 alice :carol"]


def test_watchers_hear_of_arrivals_nick_changes_and_quits() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MONITOR + carol")
    a.lines()
    c = net.user("carol")
    assert a.lines() == [":chat.local 730 alice :carol!~carol@127.0.0.1"]
    c.say("NICK CAROL")  # a change of case only: still online
    assert a.lines() == []
    c.say("NICK dave")
    assert a.lines() == [":chat.local 731 alice :CAROL"]
    c.say("NICK carol")
    assert a.lines() == [":chat.local 730 alice :carol!~carol@127.0.0.1"]
    c.say("QUIT :bye")
    assert a.lines() == [":chat.local 731 alice :carol"]


def test_unregistered_nicks_are_not_online() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MONITOR + carol")
    a.lines()
    half = net.connect()
    half.say("NICK carol")
    assert a.lines() == []
    half.say("USER c 0 * :c")
    assert a.lines() == [":chat.local 730 alice :carol!~c@127.0.0.1"]


def test_list_remove_clear_and_status() -> None:
    net = Net()
    a = net.user("alice")
    net.user("bob")
    a.say("MONITOR + bob,Carol")
    a.lines()
    a.say("MONITOR L")
    assert a.lines() == [":chat.local 732 alice :Carol,bob", ":chat.local 733 alice :End of MONITOR list"]
    a.say("MONITOR S")
    assert a.lines() == [":chat.local 730 alice :bob!~bob@127.0.0.1", ":chat.local 731 alice :Carol"]
    a.say("MONITOR - bob")
    assert a.lines() == []
    a.say("MONITOR L")
    assert a.numerics() == ["732", "733"]
    a.say("MONITOR C")
    a.say("MONITOR L")
    assert a.numerics() == ["733"]
    net.user("carol")
    assert a.lines() == []


def test_masks_are_refused_and_never_match() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MONITOR + *!*@127.0.0.1")
    assert a.numerics() == ["432"]
    net.user("bob")
    assert a.lines() == []


def test_the_list_is_bounded() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MONITOR + " + ",".join(f"n{i}" for i in range(MONITOR_LIMIT)))
    a.lines()
    a.say("MONITOR + extra1,extra2")
    (full,) = a.messages()
    assert full.command == "734" and full.params[1:3] == (str(MONITOR_LIMIT), "extra1,extra2")


def test_a_watcher_that_quits_is_forgotten() -> None:
    net = Net()
    a = net.user("alice")
    a.say("MONITOR + carol")
    a.say("QUIT")
    net.user("carol")  # nothing is sent to the gone watcher, and nothing breaks
    assert net.world.monitor_list(a.conn_id) == []
    assert not net.world._watchers


def test_extended_monitor_relays_away_and_setname_to_watchers_with_the_caps() -> None:
    net = Net()
    ext = capable(net, "ext", "extended-monitor away-notify setname")
    plain = capable(net, "plain", "away-notify setname")
    for watcher in (ext, plain):
        watcher.say("MONITOR + bob")
    bob = capable(net, "bob", "setname")
    ext.lines(), plain.lines()
    bob.say("AWAY :lunch")
    assert ext.lines() == [":bob!~bob@127.0.0.1 AWAY :lunch"]
    assert plain.lines() == []
    bob.say("SETNAME :Bob B")
    assert ext.lines() == [":bob!~bob@127.0.0.1 SETNAME :Bob B"]
    assert plain.lines() == []


def test_extended_monitor_sends_one_copy_to_a_watcher_sharing_a_channel() -> None:
    net = Net()
    ext = capable(net, "ext", "extended-monitor away-notify")
    bob = net.user("bob")
    ext.say("MONITOR + bob")
    ext.say("JOIN #x")
    bob.say("JOIN #x")
    ext.lines()
    bob.say("AWAY :lunch")
    assert ext.lines() == [":bob!~bob@127.0.0.1 AWAY :lunch"]
