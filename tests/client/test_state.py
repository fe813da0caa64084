"""ClientState as pure data: windows, unread and mention counts, de-duplication, nick lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from client.state import MAX_LINES, Activity, ClientState, Line, LineKind, Member, Window, WindowKind, sanitize

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def line(text: str, *, at: int = 0, kind: LineKind = LineKind.MESSAGE, msgid: str | None = None,
         mention: bool = False) -> Line:
    return Line(T0 + timedelta(seconds=at), kind, text, "bob", mention=mention, msgid=msgid)


def test_server_window_first_and_windows_in_creation_order() -> None:
    state = ClientState(nick="alice")
    assert state.current_window.kind is WindowKind.SERVER
    lobby = state.open("#Lobby")
    query = state.open("Bob")
    assert [w.name for w in state.windows[1:]] == ["#Lobby", "Bob"]
    assert lobby.kind is WindowKind.CHANNEL and query.kind is WindowKind.QUERY
    assert state.find("#LOBBY") is lobby and state.find("bob") is query
    assert state.open("#lobby") is lobby


def test_unread_and_mentions_only_for_windows_not_in_view() -> None:
    state = ClientState(nick="alice")
    lobby = state.open("#lobby", switch=True)
    other = state.open("#other")
    state.add_line(lobby, line("hi"))
    assert lobby.unread == 0
    state.add_line(other, line("hi"))
    state.add_line(other, line("alice: look", at=1, mention=True))
    state.add_line(other, line("bob joined", at=2, kind=LineKind.EVENT))
    assert (other.unread, other.mentions, other.activity) == (2, 1, Activity.MENTION)
    state.switch(state.windows.index(other))
    assert (other.unread, other.mentions, other.activity) == (0, 0, Activity.NONE)


def test_events_are_low_activity_and_do_not_count() -> None:
    state = ClientState(nick="alice")
    other = state.open("#other")
    state.add_line(other, line("x joined", kind=LineKind.EVENT))
    assert other.unread == 0 and other.activity is Activity.LOW


def test_query_messages_count_as_mentions() -> None:
    state = ClientState(nick="alice")
    query = state.open("bob")
    state.add_line(query, line("psst"))
    assert query.mentions == 1


def test_most_active_prefers_mentions_then_messages() -> None:
    state = ClientState(nick="alice")
    low, msg, hot = state.open("#low"), state.open("#msg"), state.open("#hot")
    assert state.most_active() is None
    state.add_line(low, line("j", kind=LineKind.EVENT))
    state.add_line(msg, line("text"))
    assert state.most_active() == state.windows.index(msg)
    state.add_line(hot, line("alice!", mention=True))
    assert state.most_active() == state.windows.index(hot)


def test_duplicate_msgid_is_dropped_and_older_lines_are_inserted_in_order() -> None:
    window = Window("#a", WindowKind.CHANNEL)
    assert window.add(line("second", at=2, msgid="m2"))
    assert window.add(line("third", at=3, msgid="m3"))
    assert not window.add(line("second again", at=2, msgid="m2"))
    assert window.add(line("first", at=1, msgid="m1"), by_time=True)
    assert window.add(line("live, clock behind", at=0))
    assert [entry.text for entry in window.lines] == ["first", "second", "third", "live, clock behind"]


def test_lines_are_capped_and_drops_are_counted() -> None:
    window = Window("#a", WindowKind.CHANNEL)
    for i in range(MAX_LINES + 5):
        window.add(line(str(i), at=i, msgid=f"id{i}"))
    assert len(window.lines) == MAX_LINES
    assert window.dropped == 5
    assert window.lines[0].text == "5"
    assert "id0" not in window.msgids


def test_mentions_match_whole_nick_casefolded() -> None:
    state = ClientState(nick="Al[ce]")
    assert state.is_mention("hey al{ce}, hi")
    assert state.is_mention("AL[CE]: yes")
    assert not state.is_mention("Al[ce]x is someone else")
    assert not state.is_mention("nothing here")


def test_nick_list_sorted_by_prefix_then_nick() -> None:
    state = ClientState(nick="alice")
    window = state.open("#a")
    for raw in ["+zed", "bob", "@carol", "Amy", "@+dave"]:
        prefixes, nick = state.member_prefixes(raw)
        window.members[nick.lower()] = Member(nick, prefixes)
    order = [m.nick for m in window.sorted_members(state.prefix_symbols)]
    assert order == ["carol", "dave", "zed", "Amy", "bob"]
    state.set_prefix(window, "bob", "o", True)
    assert window.members["bob"].prefixes == "@"
    state.set_prefix(window, "dave", "o", False)
    assert window.members["dave"].prefixes == "+"


def test_close_keeps_the_current_window_sensible() -> None:
    state = ClientState(nick="alice")
    a = state.open("#a")
    b = state.open("#b", switch=True)
    state.close(b)
    assert state.current_window is a
    state.close(state.server_window)
    assert state.windows[0].kind is WindowKind.SERVER


def test_sanitize_strips_formatting_and_controls() -> None:
    assert sanitize("\x02bold\x02 \x0304,02red\x03 tab\there\x07") == "bold red tab    here"


def test_unread_rule_only_when_lines_came_while_elsewhere_and_read_times_recorded() -> None:
    state = ClientState(nick="alice")
    lobby = state.open("#lobby", switch=True)
    dev = state.open("#dev")
    state.add_line(lobby, line("seen live", at=1))
    state.add_line(dev, line("first unseen", at=2))
    state.add_line(dev, line("second unseen", at=3))
    state.switch(state.windows.index(dev))
    assert dev.marker is not None and dev.marker.text == "first unseen"
    assert lobby.read_time == T0 + timedelta(seconds=1)  # leaving #lobby read it
    assert state.take_read_changes() == [lobby] and state.take_read_changes() == []
    state.add_line(dev, line("while here", at=4))
    state.switch(state.windows.index(lobby))
    assert dev.marker is None and lobby.marker is None  # nothing came to #lobby meanwhile
    assert dev.read_time == T0 + timedelta(seconds=4) and state.read_times["#dev"] == dev.read_time
    state.switch(state.windows.index(dev))
    assert dev.marker is None  # nothing new since it was left
    # Own lines and lines not counted (a Disconnected note) never make a rule.
    state.switch(state.windows.index(lobby))
    state.add_line(dev, Line(T0, LineKind.MESSAGE, "mine", "alice", own=True))
    state.add_line(dev, line("Disconnected", at=5, kind=LineKind.ERROR), count=False)
    state.switch(state.windows.index(dev))
    assert dev.marker is None


def test_read_times_from_before_go_to_windows_opened_later_and_the_server_can_clear_counts() -> None:
    state = ClientState(nick="alice", read_times={"#dev": T0})
    assert state.open("#DEV").read_time == T0 and state.open("#lobby").read_time is None
    dev = state.find("#dev")
    assert dev is not None
    state.add_line(dev, line("a", at=1))
    state.add_line(dev, line("b", at=2))
    state.read_elsewhere("#dev", T0 + timedelta(seconds=1))  # read elsewhere up to "a" only
    assert dev.unread == 2 and dev.read_time == T0 + timedelta(seconds=1)
    state.read_elsewhere("#dev", T0 + timedelta(seconds=2))  # up to "b": nothing left to read here
    assert (dev.unread, dev.activity) == (0, Activity.NONE)
    state.read_elsewhere("#dev", T0)  # an older time changes nothing
    assert dev.read_time == T0 + timedelta(seconds=2)
    state.read_elsewhere("carol", T0)  # no window yet: kept for when one opens
    assert state.open("carol").read_time == T0
