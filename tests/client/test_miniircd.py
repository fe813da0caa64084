"""The client against miniircd, an independent IRC server without CAP: chat, then reconnect and rejoin."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from client.state import Activity
from server.protocol import Message
from tests.client.conftest import Miniircd, Peer, miniircd_path, running_app, wait_until

pytestmark = pytest.mark.timeout(60)


def test_chat_and_reconnect_against_miniircd(miniircd: Miniircd) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(miniircd.port, "bob")
        await peer.join("#lobby")
        async with running_app(miniircd.port, "alice", ("#lobby", "#dev")) as run:
            state = run.chat.state

            def joined(name: str) -> bool:
                window = state.find(name)
                return window is not None and window.joined

            await wait_until(lambda: joined("#lobby") and joined("#dev"), what="joined both channels")
            assert state.caps == set()  # miniircd has no CAP; registration went on without it
            run.type("hello miniircd\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG")
            assert got.params == ("#lobby", "hello miniircd")
            peer.send(Message("PRIVMSG", ("#lobby", "hi alice")))
            lobby = state.find("#lobby")
            assert lobby is not None
            await wait_until(lambda: any(line.text == "hi alice" for line in lobby.lines), what="bob's line")

            # The server goes away: a clear status, the windows stay, then a reconnect rejoins both.
            await peer.close()
            miniircd.stop()
            await wait_until(lambda: state.status.startswith("reconnecting"), what="reconnecting status")
            assert not joined("#lobby") and state.find("#dev") is not None
            assert any("Disconnected" in line.text for line in state.server_window.lines)
            assert lobby.members == {}  # no stale nick list while offline
            run.type("\x1b3typed while offline\r")  # Alt-3: #dev
            dev = state.find("#dev")
            assert dev is not None
            await wait_until(lambda: any("will be sent after the reconnect" in line.text for line in dev.lines),
                             what="the queued line noted")
            # A /join typed offline waits for the reconnect; a /whois is refused with the reason.
            run.type("/join #extra\r")
            await wait_until(lambda: any("will join #extra after the reconnect" in line.text for line in dev.lines),
                             what="the queued join noted")
            run.type("/whois bob\r")
            await wait_until(lambda: any(line.text.startswith("Not connected") and "/whois was not sent" in line.text
                                         for line in dev.lines), what="the refused /whois")

            # Failed attempts rewrite one line (no new lines, no unread); the countdown counts down.
            server = state.server_window
            seen: set[str] = set()

            def attempt(n: int) -> bool:
                seen.add(state.status)
                return server.lines[-1].text.endswith(f"(attempt {n})")

            await wait_until(lambda: attempt(3), timeout=15, what="three failed attempts")
            assert sum("cannot connect" in line.text for line in server.lines) == 1
            assert server.unread == 0 and server.activity is Activity.NONE  # not even the Disconnected line
            countdown = {s for s in seen if s.startswith("reconnecting in ")}
            assert {"reconnecting in 2s", "reconnecting in 1s"} <= countdown, seen

            miniircd.start()
            peer = await Peer.connect(miniircd.port, "bob")
            await peer.join("#dev")
            await wait_until(lambda: joined("#lobby") and joined("#dev") and joined("#extra"), timeout=15,
                             what="rejoined after restart, and joined #extra")
            assert state.current_window is state.find("#extra")  # the typed /join takes the focus
            assert state.status == "connected"
            got = await peer.expect(lambda m: m.command == "PRIVMSG", timeout=10)
            assert got.params == ("#dev", "typed while offline")
            run.type("\x1b3")  # Alt-3: back to #dev
            await wait_until(lambda: state.current_window is dev, what="back in #dev")
            run.type("back again\r")
            got = await peer.expect(lambda m: m.command == "PRIVMSG")
            assert got.params == ("#dev", "back again")
        await peer.close()

    asyncio.run(scenario())


def test_miniircd_is_found_beside_python_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # `make test` runs .venv/bin/python with .venv/bin off PATH; the interop test must not skip then.
    monkeypatch.setenv("PATH", "/nonexistent")
    assert miniircd_path() == str(Path(sys.executable).parent / "miniircd")
