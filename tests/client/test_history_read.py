"""History and read state against a real chat-server: query windows fetch the conversation, read markers."""

from __future__ import annotations

import asyncio

import pytest

from server.protocol import Message
from tests.client.conftest import Peer, Running, running_app, wait_until
from tests.support.servers import RunningServer

pytestmark = pytest.mark.timeout(60)


def texts(run: Running, name: str) -> list[str]:
    window = run.chat.state.find(name)
    return [line.text for line in window.lines] if window else []


def test_query_window_opened_by_query_shows_the_earlier_conversation(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        async with running_app(chat_srv.port, "alice") as run:
            await wait_until(lambda: run.chat.state.find("#lobby") is not None, what="alice joined")
            peer.send(Message("PRIVMSG", ("alice", "before your restart")))
            await wait_until(lambda: "before your restart" in texts(run, "bob"), what="the private line")
        # A new client session has no window with bob; /query opens one and fetches the history.
        async with running_app(chat_srv.port, "alice") as run:
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
