"""The application on pipe input and a dummy output, against a real chat-server on a free port."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from client.state import LineKind, WindowKind
from client.ui.layout import topic_bar
from server.protocol import Message
from tests.client.conftest import Peer, Running, free_port, running_app, wait_until
from tests.support.servers import RunningServer, chat_server

pytestmark = pytest.mark.timeout(60)


def joined(run: Running, channel: str) -> bool:
    window = run.chat.state.find(channel)
    return window is not None and window.joined


async def sees_bobby_in_lobby(run: Running) -> None:
    """Wait until the app has joined #lobby and lists bobby there."""
    await wait_until(lambda: joined(run, "#lobby"), what="alice in #lobby")
    lobby = run.chat.state.find("#lobby")
    assert lobby is not None
    await wait_until(lambda: "bobby" in lobby.members, what="bobby in the nick list")


def texts(run: Running, name: str) -> list[str]:
    window = run.chat.state.find(name)
    return [line.text for line in window.lines] if window else []


def test_typed_line_reaches_the_other_side_and_replies_land_with_unread(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            await wait_until(lambda: joined(run, "#lobby"), what="alice in #lobby")
            assert run.chat.state.current_window.name == "#lobby"
            run.type("hello from alice\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG" and m.params[0] == "#lobby")
            assert got.params[1] == "hello from alice"
            assert (got.source or "").startswith("alice")
            await wait_until(lambda: "hello from alice" in texts(run, "#lobby"), what="own line shown")

            # A message to another channel lands in its window, unread, while #lobby stays current.
            await peer.join("#other")
            run.type("/join #other\r")
            await wait_until(lambda: joined(run, "#other"), what="alice in #other")
            assert run.chat.state.current_window.name == "#other"
            run.type("\x1b2")  # Alt-2: back to #lobby
            await wait_until(lambda: run.chat.state.current_window.name == "#lobby", what="switch to #lobby")
            peer.send(Message("PRIVMSG", ("#other", "ping in other")))
            peer.send(Message("PRIVMSG", ("#other", "alice: are you there?")))
            other = run.chat.state.find("#other")
            assert other is not None
            await wait_until(lambda: other.unread == 2, what="two unread in #other")
            assert other.mentions == 1
            assert [line.text for line in other.lines][-2:] == ["ping in other", "alice: are you there?"]
            assert "ping in other" not in texts(run, "#lobby")

            # Alt-A jumps to the window with the mention and clears its counts.
            run.type("\x1ba")
            await wait_until(lambda: run.chat.state.current_window is other, what="Alt-A to #other")
            assert other.unread == 0 and other.mentions == 0
        await peer.close()

    asyncio.run(scenario())


def test_query_window_nick_list_and_completion(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bobby")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            await sees_bobby_in_lobby(run)

            # Tab at the line start completes the nick with ": ".
            run.type("bo\t")
            await wait_until(lambda: run.chat.input.text == "bobby: ", what="nick completion")
            run.type("hi\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG")
            assert got.params == ("#lobby", "bobby: hi")

            # A private message opens a query window with an unread mention.
            peer.send(Message("PRIVMSG", ("alice", "psst, private")))
            await wait_until(lambda: run.chat.state.find("bobby") is not None, what="query window")
            query = run.chat.state.find("bobby")
            assert query is not None and query.kind is WindowKind.QUERY
            await wait_until(lambda: query.mentions == 1, what="private message counted")

            # /query switches to it; typing there goes to bobby only.
            run.type("/query bobby\r")
            await wait_until(lambda: run.chat.state.current_window is query, what="/query switch")
            run.type("/me waves\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG")
            assert got.params == ("bobby", "\x01ACTION waves\x01")

            # An error reply from the server shows as a readable line, not a traceback.
            run.type("/msg nobody-here hello\r")
            await wait_until(
                lambda: any(line.kind is LineKind.ERROR for w in run.chat.state.windows for line in w.lines),
                what="an error line for 401",
            )
        await peer.close()

    asyncio.run(scenario())


def test_scrolled_pane_is_not_yanked_and_paste_asks_first(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "carl")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            await wait_until(lambda: joined(run, "#lobby"), what="alice in #lobby")
            for i in range(60):
                peer.send(Message("PRIVMSG", ("#lobby", f"line {i}")))
            await wait_until(lambda: "line 59" in texts(run, "#lobby"), what="60 lines")
            pane = run.chat.current_pane()
            await wait_until(lambda: pane.height > 0, what="a first render")
            assert pane.at_bottom
            run.type("\x1b[5~")  # PgUp
            await wait_until(lambda: not pane.at_bottom, what="scrolled up")
            top = pane.top()
            first_row = pane.rows[top]
            below = pane.lines_below
            peer.send(Message("PRIVMSG", ("#lobby", "a new line while scrolled")))
            await wait_until(lambda: "a new line while scrolled" in texts(run, "#lobby"), what="new line")
            pane.layout(pane.width)
            assert pane.rows[pane.top()] == first_row
            assert pane.lines_below == below + 1
            assert not pane.at_bottom
            for _ in range(10):
                run.type("\x1b[6~")  # PgDn back to the live end
            await wait_until(lambda: pane.at_bottom, what="back at the bottom")

            # A five-line paste asks first; Ctrl-Y sends each line as its own message.
            run.type("\x1b[200~one\ntwo\nthree\nfour\nfive\x1b[201~")
            await wait_until(lambda: run.chat.pending_paste is not None, what="paste confirmation")
            run.type("\x19")  # Ctrl-Y
            for word in ("one", "two", "three", "four", "five"):
                got = await peer.expect(lambda m: m.command == "PRIVMSG" and m.params[0] == "#lobby")
                assert got.params[1] == word
        await peer.close()

    asyncio.run(scenario())


def test_whois_shows_a_block_here_and_a_server_restart_restores_away() -> None:
    port = free_port()

    async def scenario() -> None:
        stack = contextlib.ExitStack()
        await asyncio.to_thread(stack.enter_context, chat_server("pool", "--port", str(port)))
        peer = await Peer.connect(port, "ircfan")
        await peer.join("#lobby")
        async with running_app(port, "alice") as run:
            state = run.chat.state
            await wait_until(lambda: joined(run, "#lobby"), what="alice in #lobby")
            peer.send(Message("PRIVMSG", ("alice", "hello")))  # opens a query window with ircfan
            await wait_until(lambda: state.find("ircfan") is not None, what="query window")
            run.type("/whois ircfan\r")
            await wait_until(lambda: any(t.startswith("ircfan is ~") or t.startswith("ircfan is ")
                                         for t in texts(run, "#lobby")), what="whois block in #lobby")
            lobby = texts(run, "#lobby")
            assert any(t.startswith("  channels: ") and "#lobby" in t for t in lobby)
            assert any(t.startswith("  idle ") and "signed on" in t for t in lobby)
            assert not any("seconds idle" in t for w in state.windows for t in texts(run, w.name))

            run.type("/away lunch break\r")
            await wait_until(lambda: state.away, what="marked away")
            await peer.close()
            await asyncio.to_thread(stack.close)
            await wait_until(lambda: state.status.startswith("reconnecting"), what="reconnecting")
            await asyncio.to_thread(stack.enter_context, chat_server("pool", "--port", str(port)))
            await wait_until(lambda: joined(run, "#lobby"), timeout=20, what="rejoined after the restart")
            peer = await Peer.connect(port, "ircfan")
            peer.send(Message("WHOIS", ("alice",)))
            away = await peer.expect(lambda m: m.command == "301")
            assert away.params[-1] == "lunch break"  # the new server was told
            assert state.away
        await peer.close()
        await asyncio.to_thread(stack.close)

    asyncio.run(scenario())


def test_tab_on_empty_word_does_nothing_and_ctrl_c_asks_before_quitting(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bobby")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            await sees_bobby_in_lobby(run)
            run.type("\t")
            run.type("hi \t")
            run.type("bo\t")  # a real completion still works, and shows the keys were all handled
            await wait_until(lambda: run.chat.input.text == "hi bobby ", what="completion after 'bo'")
            run.type("\x03")  # Ctrl-C clears the line
            await wait_until(lambda: run.chat.input.text == "", what="line cleared")
            run.type("\x03")  # on the empty line: only a warning
            await wait_until(lambda: run.chat.quit_armed, what="quit armed")
            await asyncio.sleep(0.3)
            assert run.chat.app.is_running and not run.task.done()
            assert "Ctrl-C again" in "".join(text for _, text, *_ in topic_bar(run.chat))
            await wait_until(lambda: not run.chat.quit_armed, timeout=4, what="the warning to expire")
            run.type("\x03")  # too late for the first one: warns again
            await asyncio.sleep(0.3)
            assert run.chat.quit_armed and not run.task.done()
            run.type("\x03")  # the second within 2 s quits
            await asyncio.wait_for(run.task, 10)
        await peer.close()

    asyncio.run(scenario())


def test_paste_without_enter_waits_and_a_long_line_counts_its_messages(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "carl")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            await wait_until(lambda: joined(run, "#lobby"), what="alice in #lobby")
            # Two lines pasted without a final newline: nothing is sent until Enter.
            run.type("\x1b[200~first pasted\nsecond pasted\x1b[201~")
            await wait_until(lambda: run.chat.pending_paste is not None, what="paste held")
            bar = "".join(text for _, text, *_ in topic_bar(run.chat))
            assert "Send 2 messages (2 pasted lines)?" in bar
            with pytest.raises(AssertionError):
                await peer.expect(lambda m: m.command == "PRIVMSG", timeout=0.5)
            run.type("\r")
            for word in ("first pasted", "second pasted"):
                got = await peer.expect(lambda m: m.command == "PRIVMSG")
                assert got.params == ("#lobby", word)

            # One long pasted line: the question counts the messages it becomes, and they are what is sent.
            long_line = " ".join(f"w{i:04d}" for i in range(400))  # 2399 bytes
            run.type(f"\x1b[200~{long_line}\x1b[201~\r")
            await wait_until(lambda: run.chat.pending_paste is not None, what="long line held")
            expected = len(run.chat.session.pieces("#lobby", long_line))
            assert expected > 3
            bar = "".join(text for _, text, *_ in topic_bar(run.chat))
            assert f"Send {expected} messages (1 pasted line)?" in bar
            run.type("\x19")  # Ctrl-Y
            got = [await peer.expect(lambda m: m.command == "PRIVMSG") for _ in range(expected)]
            assert " ".join(m.params[1] for m in got) == long_line
            assert all(len(m.to_bytes()) <= 512 for m in got)
            with pytest.raises(AssertionError):
                await peer.expect(lambda m: m.command == "PRIVMSG", timeout=0.5)
        await peer.close()

    asyncio.run(scenario())
