"""/lastlog and Ctrl-R: matching lines in an overlay, the window's own place kept underneath."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from client.state import Line, LineKind, Window, WindowKind
from client.ui.lastlog import Lastlog, matching_lines
from client.ui.layout import topic_bar
from server.protocol import Message
from tests.client.conftest import Peer, running_app, wait_until
from tests.support.servers import RunningServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_matching_lines_casefolded_over_nick_and_text() -> None:
    window = Window("#lobby", WindowKind.CHANNEL)
    for nick, text in (("bob", "the Deploy failed"), ("carol", "lunch?"), ("Deployer", "done"), ("bob", "ok")):
        window.add(Line(T0, LineKind.MESSAGE, text, nick))
    assert [line.text for line in matching_lines(window, "deploy")] == ["the Deploy failed", "done"]
    assert matching_lines(window, "  ") == []
    overlay = Lastlog(window, "DEPLOY")
    assert overlay.matches == 2 and "2 lines with 'DEPLOY'" in overlay.title(False)
    overlay.update("lunch")
    assert [line.text for line in overlay.view.lines] == ["lunch?"]
    assert len(window.lines) == 4  # the window itself is untouched


def shown_texts(run: object) -> list[str]:
    pane = run.chat.shown_pane()  # type: ignore[attr-defined]
    return [line.text for line in pane.window.lines]


@pytest.mark.timeout(60)
def test_lastlog_and_ctrl_r_keep_your_place(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice") as run:
            chat = run.chat
            await wait_until(lambda: chat.state.current_window.name == "#lobby", what="in #lobby")
            for i in range(60):
                peer.send(Message("PRIVMSG", ("#lobby", f"line {i}" + (" needle" if i % 20 == 5 else ""))))
            lobby = chat.state.current_window
            await wait_until(lambda: any(line.text == "line 59" for line in lobby.lines), what="60 lines")
            pane = chat.current_pane()
            await wait_until(lambda: pane.height > 0, what="a first render")
            run.type("\x1b[5~")  # PgUp: scrolled up, away from the live end
            await wait_until(lambda: not pane.at_bottom, what="scrolled up")
            top = pane.top()

            run.type("/lastlog NEEDLE\r")
            await wait_until(lambda: chat.lastlog is not None, what="the overlay")
            assert shown_texts(run) == ["line 5 needle", "line 25 needle", "line 45 needle"]
            bar = "".join(text for _, text, *_ in topic_bar(chat))
            assert "3 lines with 'NEEDLE'" in bar and "Esc closes" in bar
            run.type("\x1b")  # Esc
            await wait_until(lambda: chat.lastlog is None, what="overlay closed")
            assert chat.shown_pane() is pane and pane.top() == top and not pane.at_bottom

            # Ctrl-R: the half-typed line is put aside, each key narrows the matches, Esc restores it.
            run.type("half typed")
            await wait_until(lambda: chat.input.text == "half typed", what="typed")
            run.type("\x12")  # Ctrl-R
            await wait_until(lambda: chat.searching == "half typed" and chat.input.text == "", what="search mode")
            run.type("line 2")
            await wait_until(lambda: chat.input.text == "line 2", what="search text")
            assert shown_texts(run)[:2] == ["line 2", "line 20"] and len(shown_texts(run)) == 11
            run.type("5")
            await wait_until(lambda: shown_texts(run) == ["line 25 needle"], what="narrowed to one")
            run.type("\r")  # Enter keeps the result and gives the line back
            await wait_until(lambda: chat.searching is None and chat.input.text == "half typed", what="kept")
            assert chat.lastlog is not None and shown_texts(run) == ["line 25 needle"]
            with pytest.raises(AssertionError):
                await peer.expect(lambda m: m.command == "PRIVMSG", timeout=0.3)  # Enter sent nothing
            run.type("\x07")  # Ctrl-G closes too
            await wait_until(lambda: chat.lastlog is None, what="closed")
            assert pane.top() == top and chat.input.text == "half typed"
        await peer.close()

    asyncio.run(scenario())
