"""History and read state against a real chat-server: query windows fetch the conversation, read markers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from server.protocol import Message
from tests.client.conftest import Peer, Running, running_app, wait_until
from tests.support.servers import RunningServer

pytestmark = pytest.mark.timeout(60)


def texts(run: Running, name: str) -> list[str]:
    window = run.chat.state.find(name)
    return [line.text for line in window.lines] if window else []


def test_query_window_opened_by_query_shows_the_earlier_conversation(chat_srv: RunningServer) -> None:
    # Private history outlives a connection only for an account: alice registers, then logs in with SASL.
    login = {"account": "alice", "account_password": "alice-password"}

    async def scenario() -> None:
        registering = await Peer.connect(chat_srv.port, "alice")
        registering.send(Message("PRIVMSG", ("NickServ", "REGISTER alice-password")))
        await registering.expect(lambda m: m.command == "NOTICE" and m.params[-1] == "Account created")
        await registering.close()
        peer = await Peer.connect(chat_srv.port, "bob")
        async with running_app(chat_srv.port, "alice", **login) as run:
            await wait_until(lambda: run.chat.state.find("#lobby") is not None, what="alice joined")
            peer.send(Message("PRIVMSG", ("alice", "before your restart")))
            await wait_until(lambda: "before your restart" in texts(run, "bob"), what="the private line")
        # A new client session has no window with bob; /query opens one and fetches the history.
        async with running_app(chat_srv.port, "alice", **login) as run:
            await wait_until(lambda: run.chat.state.current_window.name == "#lobby", what="alice in #lobby")
            assert "draft/chathistory" in run.chat.state.caps
            assert run.chat.state.find("bob") is None
            run.type("/query bob\r")
            await wait_until(lambda: "before your restart" in texts(run, "bob"), what="history in the query")
            bob = run.chat.state.find("bob")
            assert bob is not None and run.chat.state.current_window is bob
            assert [line.nick for line in bob.lines if line.text == "before your restart"] == ["bob"]
        await peer.close()

    asyncio.run(scenario())


def rows_text(run: Running) -> list[str]:
    """The current pane's rows as text, as drawn (the app has rendered at least once)."""
    pane = run.chat.current_pane()
    pane.layout(pane.width or 80)
    return ["".join(cell.text for cell in row) for row in pane.rows]


def test_unread_rule_and_read_position_kept_in_a_file_across_restarts(chat_srv: RunningServer,
                                                                       tmp_path: Path) -> None:
    marks = tmp_path / "state" / "read-markers.json"

    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#lobby")
        await peer.join("#dev")
        async with running_app(chat_srv.port, "alice", ("#lobby", "#dev"), read_markers_file=marks) as run:
            state = run.chat.state
            await wait_until(lambda: state.current_window.name == "#lobby" and texts(run, "#dev"),
                             what="alice in both, #lobby in view")
            dev = state.find("#dev")
            assert dev is not None
            peer.send(Message("PRIVMSG", ("#dev", "seen before the restart")))
            await wait_until(lambda: dev.unread == 1, what="a line in #dev")
            run.type("\x1b3")  # Alt-3: #dev got a line while alice was in #lobby: the rule shows
            await wait_until(lambda: state.current_window is dev, what="in #dev")
            await wait_until(lambda: any(r.startswith("--- unread ---") for r in rows_text(run)), what="rule")
            rows = rows_text(run)
            rule = next(i for i, r in enumerate(rows) if r.startswith("--- unread ---"))
            assert "seen before the restart" in rows[rule + 1]
            run.type("\x1b2")  # back to #lobby, nothing new there: no rule
            await wait_until(lambda: state.current_window.name == "#lobby", what="in #lobby")
            assert not any(r.startswith("--- unread") for r in rows_text(run))
            run.type("\x1b3")  # and #dev again, with nothing new: no rule either
            await wait_until(lambda: state.current_window is dev, what="in #dev again")
            assert not any(r.startswith("--- unread") for r in rows_text(run))
            run.type("\x1b2")
            await wait_until(lambda: state.current_window.name == "#lobby", what="in #lobby again")
        saved = json.loads(marks.read_text())
        assert set(saved[f"127.0.0.1:{chat_srv.port}"]) >= {"#dev", "#lobby"}

        # While alice is gone, two lines in #dev; the next run counts those two only and marks them.
        peer.send(Message("PRIVMSG", ("#dev", "missed one")))
        peer.send(Message("PRIVMSG", ("#dev", "missed two")))
        await asyncio.sleep(0.2)
        async with running_app(chat_srv.port, "alice", ("#lobby", "#dev"), read_markers_file=marks) as run:
            state = run.chat.state
            await wait_until(lambda: "missed two" in texts(run, "#dev"), what="history in #dev")
            dev = state.find("#dev")
            assert dev is not None
            await wait_until(lambda: dev.unread == 2, what="the two missed lines counted")
            assert texts(run, "#dev").index("seen before the restart") < texts(run, "#dev").index("missed one")
            run.type("\x1b3")
            await wait_until(lambda: state.current_window is dev, what="in #dev")
            await wait_until(lambda: any(r.startswith("--- unread ---") for r in rows_text(run)), what="rule")
            rows = rows_text(run)
            rule = next(i for i, r in enumerate(rows) if r.startswith("--- unread ---"))
            assert "missed one" in rows[rule + 1]
            assert any("seen before the restart" in r for r in rows[:rule])
        await peer.close()

    asyncio.run(scenario())


def test_without_a_read_position_replayed_history_is_not_unread(chat_srv: RunningServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#dev")
        peer.send(Message("PRIVMSG", ("#dev", "old news")))
        await asyncio.sleep(0.2)
        async with running_app(chat_srv.port, "alice", ("#lobby", "#dev"),
                               read_markers_file=tmp_path / "marks.json") as run:
            await wait_until(lambda: "old news" in texts(run, "#dev"), what="history in #dev")
            dev = run.chat.state.find("#dev")
            assert dev is not None and dev.unread == 0 and dev.marker is None
        await peer.close()

    asyncio.run(scenario())
