"""The sans-I/O session: CAP/SASL registration, routing of messages, history, errors, rejoin."""

from __future__ import annotations

from datetime import UTC, datetime

from client.session import Identity, Queued, Session
from client.state import Activity, ClientState, Line, LineKind, WindowKind
from server.protocol import Message, parse_line

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make(nick: str = "alice", **identity: object) -> Session:
    ident = Identity(nick, nick, "Alice", channels=["#lobby"])
    for key, value in identity.items():
        setattr(ident, key, value)
    return Session(ClientState(nick=nick), ident, now=lambda: NOW)


def feed(session: Session, *lines: str) -> list[str]:
    out: list[str] = []
    for raw in lines:
        out += [m.to_line() for m in session.handle(parse_line(raw))]
    return out


def registered(session: Session, caps: str = "") -> Session:
    session.start()
    if caps:
        feed(session, f":srv CAP * LS :{caps}")
        feed(session, f":srv CAP alice ACK :{caps}")
    feed(session, ":srv 001 alice :Welcome", ":alice!a@h JOIN #lobby")
    return session


def test_start_sends_cap_ls_then_nick_and_user() -> None:
    session = make(password="pw")
    assert [m.to_line() for m in session.start()] == [
        "CAP LS 302", "PASS pw", "NICK alice", "USER alice 0 * Alice",
    ]


def test_server_without_cap_still_registers_and_autojoins() -> None:
    session = make()
    session.start()
    assert feed(session, ":srv 421 alice CAP :Unknown command") == []
    assert feed(session, ":srv 001 alice :Welcome to IRC") == ["JOIN #lobby"]
    assert session.state.status == "connected"


def test_cap_negotiation_requests_only_wanted_caps_and_ends() -> None:
    session = make()
    session.start()
    assert feed(session, ":srv CAP * LS * :server-time foo") == []
    assert feed(session, ":srv CAP * LS :echo-message batch chathistory=100 bar") == [
        "CAP REQ :server-time echo-message batch chathistory"
    ]
    assert feed(session, ":srv CAP alice ACK :server-time echo-message batch chathistory") == ["CAP END"]
    assert session.state.caps == {"server-time", "echo-message", "batch", "chathistory"}


def test_empty_cap_list_ends_at_once() -> None:
    session = make()
    session.start()
    assert feed(session, ":srv CAP * LS :") == ["CAP END"]


def test_nick_in_use_during_registration_tries_another() -> None:
    session = make()
    session.start()
    assert feed(session, ":srv 433 * alice :Nickname is already in use") == ["NICK alice_"]
    assert feed(session, ":srv 433 * alice_ :Nickname is already in use") == ["NICK alice2"]
    feed(session, ":srv 001 alice2 :Welcome")
    assert session.state.nick == "alice2"


def test_channel_messages_mentions_queries_and_server_notices_route_to_windows() -> None:
    session = registered(make())
    state = session.state
    feed(session, ":bob!b@h PRIVMSG #lobby :hi all", ":bob!b@h PRIVMSG #lobby :alice: you there?")
    lobby = state.find("#lobby")
    assert lobby is not None
    assert [(line.nick, line.text, line.mention) for line in lobby.lines][-2:] == [
        ("bob", "hi all", False), ("bob", "alice: you there?", True),
    ]
    assert lobby.speakers[0] == "bob"
    feed(session, ":bob!b@h PRIVMSG alice :private")
    query = state.find("bob")
    assert query is not None and query.kind is WindowKind.QUERY and query.unread == 1
    feed(session, ":srv.example NOTICE alice :server notice")
    assert state.server_window.lines[-1].text == "server notice"
    feed(session, ":bob!b@h PRIVMSG #lobby :\x01ACTION waves\x01")
    assert lobby.lines[-1].kind is LineKind.ACTION and lobby.lines[-1].text == "waves"


def test_server_time_is_used_for_the_line_time() -> None:
    session = registered(make())
    feed(session, "@time=2023-01-02T03:04:05.000Z :bob!b@h PRIVMSG #lobby :old")
    lobby = session.state.find("#lobby")
    assert lobby is not None
    assert lobby.lines[-1].time == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_local_echo_unless_echo_message() -> None:
    plain = registered(make())
    assert [m.to_line() for m in plain.say("#lobby", "hello")] == ["PRIVMSG #lobby hello"]
    lobby = plain.state.find("#lobby")
    assert lobby is not None and lobby.lines[-1].own and lobby.lines[-1].text == "hello"
    echo = registered(make(), caps="echo-message")
    echo.say("#lobby", "hello")
    lobby = echo.state.find("#lobby")
    assert lobby is not None and all(line.text != "hello" for line in lobby.lines)
    feed(echo, "@msgid=x1 :alice!a@h PRIVMSG #lobby :hello")
    assert lobby.lines[-1].own and lobby.lines[-1].text == "hello"


def test_long_text_is_split_into_several_privmsgs() -> None:
    session = registered(make())
    sent = session.say("#lobby", "x" * 1000)
    assert len(sent) == 3 and all(len(m.to_bytes()) <= 512 for m in sent)


def test_join_fetches_history_which_is_deduplicated_and_not_counted() -> None:
    session = make()
    session.start()
    feed(session, ":srv CAP * LS :batch server-time message-tags chathistory",
         ":srv CAP alice ACK :batch server-time message-tags chathistory", ":srv 001 alice :hi")
    assert feed(session, ":alice!a@h JOIN #lobby") == ["CHATHISTORY LATEST #lobby * 100"]
    session.state.switch(0)
    history = [
        ":srv BATCH +h1 chathistory #lobby",
        "@batch=h1;msgid=a;time=2024-05-01T11:00:00.000Z :bob!b@h PRIVMSG #lobby :older",
        "@batch=h1;msgid=b;time=2024-05-01T11:01:00.000Z :bob!b@h PRIVMSG #lobby :alice: old mention",
        ":srv BATCH -h1",
    ]
    feed(session, *history)
    lobby = session.state.find("#lobby")
    assert lobby is not None
    assert [line.text for line in lobby.lines][:2] == ["older", "alice: old mention"]
    assert lobby.unread == 0 and lobby.mentions == 0
    feed(session, *history)
    assert [line.text for line in lobby.lines].count("older") == 1


def test_errors_are_lines_in_the_right_window() -> None:
    session = registered(make())
    feed(session, ":srv 473 alice #secret :Cannot join channel (+i)")
    current = session.state.current_window
    assert current.lines[-1].kind is LineKind.ERROR
    assert current.lines[-1].text == "Cannot join #secret: channel is invite only"
    feed(session, ":srv 404 alice #lobby :Cannot send to channel")
    lobby = session.state.find("#lobby")
    assert lobby is not None and lobby.lines[-1].text == "#lobby Cannot send to channel"
    feed(session, ":srv 433 alice bob :Nickname is already in use")
    assert "already in use" in session.state.current_window.lines[-1].text


def test_names_modes_joins_parts_quits_and_nick_changes_keep_the_nick_list() -> None:
    session = registered(make())
    feed(session, ":srv 005 alice PREFIX=(ov)@+ :are supported",
         ":srv 353 alice = #lobby :@alice +bob carol", ":srv 366 alice #lobby :End")
    lobby = session.state.find("#lobby")
    assert lobby is not None
    assert {m.nick: m.prefixes for m in lobby.members.values()} == {"alice": "@", "bob": "+", "carol": ""}
    feed(session, ":dave!d@h JOIN #lobby", ":alice!a@h MODE #lobby +o-v dave bob")
    assert lobby.members["dave"].prefixes == "@" and lobby.members["bob"].prefixes == ""
    feed(session, ":carol!c@h NICK :caroline", ":bob!b@h PART #lobby :bye", ":dave!d@h QUIT :gone")
    assert set(lobby.members) == {"alice", "caroline"}
    assert lobby.lines[-1].kind is LineKind.EVENT


def test_own_part_closes_the_window_and_forgets_it() -> None:
    session = registered(make())
    feed(session, ":alice!a@h PART #lobby")
    assert session.state.find("#lobby") is None
    assert session.autojoin == []


def test_disconnect_then_reconnect_rejoins_open_channels() -> None:
    session = registered(make())
    feed(session, ":alice!a@h JOIN #dev")
    session.disconnected("connection reset")
    assert session.state.find("#dev") is not None
    assert "Disconnected" in session.state.server_window.lines[-1].text
    session.start()
    assert feed(session, ":srv 001 alice :Welcome back") == ["JOIN #lobby,#dev"]


def test_ping_gets_pong_and_pong_measures_lag() -> None:
    session = registered(make())
    assert feed(session, "PING :abc") == ["PONG abc"]
    ping = session.ping()
    session.handle(Message("PONG", ("srv", ping.params[0])))
    assert session.state.lag is not None and session.state.lag >= 0


def test_whois_is_one_readable_block_in_the_window_it_was_typed_in() -> None:
    session = registered(make())
    state = session.state
    feed(session, ":ircfan!u@h PRIVMSG alice :hi")  # a query window with ircfan exists
    lobby = state.find("#lobby")
    assert lobby is not None
    state.switch(state.windows.index(lobby))
    session.whois_requested("ircfan", lobby)
    signon = int(datetime(2024, 4, 30, 9, 15, tzinfo=UTC).timestamp())
    feed(session,
         ":srv 311 alice ircfan ~u host.example * :Real Name",
         ":srv 319 alice ircfan :@#lobby #dev",
         ":srv 312 alice ircfan irc.example.org :Example server",
         ":srv 301 alice ircfan :gone fishing",
         ":srv 313 alice ircfan :is an IRC operator",
         ":srv 671 alice ircfan :is using a secure connection",
         f":srv 317 alice ircfan 185 {signon} :seconds idle, signon time",
         ":srv 318 alice ircfan :End of /WHOIS list")
    texts = [line.text for line in lobby.lines if line.kind is LineKind.INFO]
    local = datetime.fromtimestamp(signon, UTC).astimezone()
    assert texts[-7:] == [
        "ircfan is ~u@host.example (Real Name)",
        "  channels: @#lobby #dev",
        "  server:   irc.example.org (Example server)",
        f"  idle 3m 5s, signed on {local:%Y-%m-%d %H:%M}",
        "  away:     gone fishing",
        "  ircfan is an IRC operator",
        "  uses a secure connection (TLS)",
    ]
    query = state.find("ircfan")
    assert query is not None and all("Real Name" not in line.text for line in query.lines)


def test_whois_of_an_unknown_nick_is_one_error_line() -> None:
    session = registered(make())
    lobby = session.state.find("#lobby")
    assert lobby is not None
    session.whois_requested("ghost", lobby)
    before = len(lobby.lines)
    feed(session, ":srv 401 alice ghost :No such nick", ":srv 318 alice ghost :End of /WHOIS list")
    assert [line.text for line in list(lobby.lines)[before:]] == ["ghost No such nick"]


def test_reconnect_restores_away_and_sends_queued_lines_once_rejoined() -> None:
    session = registered(make())
    feed(session, ":srv 353 alice = #lobby :alice bob", ":srv 366 alice #lobby :End")
    session.away_requested("lunch")
    feed(session, ":srv 306 alice :You have been marked as being away")
    session.disconnected("connection reset")
    lobby = session.state.find("#lobby")
    assert lobby is not None and lobby.members == {}  # nobody is known to be there while offline
    session.queue(Queued("#lobby", "typed offline"))
    session.queue(Queued("bob", "private, offline"))
    session.start()
    assert feed(session, ":srv 001 alice :Welcome back") == [
        "JOIN #lobby", "AWAY lunch", "PRIVMSG bob :private, offline",
    ]
    assert session.state.away
    assert feed(session, ":alice!a@h JOIN #lobby") == ["PRIVMSG #lobby :typed offline"]
    assert session.queued == []
    assert lobby.lines[-1].text == "Sent 1 line typed while disconnected"
    feed(session, ":srv 305 alice :You are no longer marked as being away")
    session.disconnected("again")
    session.start()
    assert feed(session, ":srv 001 alice :Welcome back") == ["JOIN #lobby"]


def test_failed_attempts_rewrite_one_line_without_unread() -> None:
    session = registered(make())
    session.disconnected("connection reset")
    server = session.state.server_window
    unread, count = server.unread, len(server.lines)
    for _ in range(3):
        session.connect_failed("cannot connect to 127.0.0.1:6667: refused")
    assert len(server.lines) == count + 1 and server.unread == unread
    assert server.lines[-1].text.endswith("(attempt 3)")


def test_one_long_line_splits_to_fit_the_relayed_line() -> None:
    session = registered(make())
    text = " ".join(["word"] * 400)  # 1999 bytes
    sent = session.say("#lobby", text)
    assert len(sent) == len(session.pieces("#lobby", text)) == 5
    prefix = ":alice!~alice@" + "h" * 63 + " "
    assert all(len(prefix.encode()) + len(m.to_bytes()) <= 512 for m in sent)
    assert " ".join(m.params[1] for m in sent) == text


def test_disconnected_line_raises_no_unread_anywhere() -> None:
    session = registered(make())
    state = session.state
    lobby = state.find("#lobby")
    assert lobby is not None
    state.switch(state.windows.index(lobby))
    session.disconnected("connection reset")
    assert "Disconnected" in state.server_window.lines[-1].text
    assert state.server_window.unread == 0 and state.server_window.activity is Activity.NONE


def test_commands_typed_offline_are_kept_for_the_reconnect_or_refused_with_a_reason() -> None:
    session = registered(make())
    feed(session, ":alice!a@h JOIN #dev")
    session.disconnected("connection reset")
    note = session.offline_command(Message("JOIN", ("#new", "key")))
    assert "will join #new after the reconnect" in note
    assert "it will not be rejoined" in session.offline_command(Message("PART", ("#dev",)))
    assert session.state.find("#dev") is None
    assert "you will be alice2" in session.offline_command(Message("NICK", ("alice2",)))
    assert "marked away" in session.offline_command(Message("AWAY", ("brb",)))
    refused = session.offline_command(Message("WHOIS", ("bob",)))
    assert refused.startswith("Not connected") and "/whois was not sent" in refused
    assert [m.to_line() for m in session.start()][-2:] == ["NICK alice2", "USER alice 0 * Alice"]
    assert feed(session, ":srv 001 alice2 :Welcome back") == ["JOIN #lobby", "AWAY brb", "JOIN #new key"]
    assert feed(session, ":alice2!a@h JOIN #new") == []
    assert session.state.current_window is session.state.find("#new")  # the typed /join takes the focus


def test_a_new_query_window_fetches_the_conversation_history_once() -> None:
    session = make()
    session.start()
    feed(session, ":srv CAP * LS :batch server-time message-tags echo-message chathistory",
         ":srv CAP alice ACK :batch server-time message-tags echo-message chathistory", ":srv 001 alice :hi")
    # An incoming private message opens the window and asks for what came before it.
    assert feed(session, "@msgid=m3;time=2024-05-01T11:02:00.000Z :bob!b@h PRIVMSG alice :are you there?") == [
        "CHATHISTORY LATEST bob * 100"]
    assert feed(session, ":bob!b@h PRIVMSG alice :again") == []  # the window exists: no second request
    assert feed(session,
                ":srv BATCH +q chathistory bob",
                "@batch=q;msgid=m1;time=2024-05-01T11:00:00.000Z :bob!b@h PRIVMSG alice :yesterday's question",
                "@batch=q;msgid=m2;time=2024-05-01T11:01:00.000Z :alice!a@h PRIVMSG bob :my answer",
                "@batch=q;msgid=m3;time=2024-05-01T11:02:00.000Z :bob!b@h PRIVMSG alice :are you there?",
                ":srv BATCH -q") == []
    bob = session.state.find("bob")
    assert bob is not None
    assert [line.text for line in bob.lines][:3] == ["yesterday's question", "my answer", "are you there?"]
    assert bob.mentions == 2  # the two live lines; the replayed older ones are not counted
    # /query of a new nick, and a reconnect, fetch too.
    _, out = session.open_query("carol", switch=True)
    assert [m.to_line() for m in out] == ["CHATHISTORY LATEST carol * 100"]
    session.disconnected("reset")
    session.start()
    feed(session, ":srv CAP * LS :batch chathistory", ":srv CAP alice ACK :batch chathistory")
    assert feed(session, ":srv 001 alice :back") == [
        "JOIN #lobby", "CHATHISTORY LATEST bob * 100", "CHATHISTORY LATEST carol * 100"]


def test_no_query_history_without_the_cap() -> None:
    session = registered(make())
    assert feed(session, ":bob!b@h PRIVMSG alice :hi") == []
    assert session.open_query("carol")[1] == []


def test_read_marker_cap_takes_the_servers_read_time_and_sends_ours() -> None:
    session = make()
    session.start()
    caps = "batch server-time message-tags chathistory draft/read-marker"
    feed(session, f":srv CAP * LS :{caps}")
    feed(session, f":srv CAP alice ACK :{caps}", ":srv 001 alice :hi")
    state = session.state
    assert feed(session, ":alice!a@h JOIN #lobby") == ["CHATHISTORY LATEST #lobby * 100"]
    feed(session, ":srv MARKREAD #lobby timestamp=2024-05-01T11:00:30.000Z")
    lobby = state.find("#lobby")
    assert lobby is not None and lobby.read_time == datetime(2024, 5, 1, 11, 0, 30, tzinfo=UTC)
    assert state.current_window is lobby
    feed(session,
         ":srv BATCH +h chathistory #lobby",
         "@batch=h;msgid=a;time=2024-05-01T11:00:00.000Z :bob!b@h PRIVMSG #lobby :read on the phone",
         "@batch=h;msgid=b;time=2024-05-01T11:01:00.000Z :bob!b@h PRIVMSG #lobby :not read anywhere",
         ":srv BATCH -h")
    # In view: nothing to count, but the rule shows where the unread part starts.
    assert lobby.marker is not None and lobby.marker.text == "not read anywhere"
    state.switch(0)
    assert lobby.marker is None
    assert [m.to_line() for m in session.markread(state.take_read_changes())] == [
        "MARKREAD #lobby timestamp=2024-05-01T11:01:00.000Z"]
    # A query asks for its read time, and "*" (never read) is accepted.
    _, out = session.open_query("bob")
    assert [m.to_line() for m in out] == ["MARKREAD bob", "CHATHISTORY LATEST bob * 100"]
    assert feed(session, ":srv MARKREAD bob *") == []


def test_without_the_cap_no_markread_is_sent() -> None:
    session = registered(make())
    lobby = session.state.find("#lobby")
    assert lobby is not None
    session.state.add_line(lobby, Line(NOW, LineKind.MESSAGE, "x", "bob"))
    assert session.markread([lobby]) == []
