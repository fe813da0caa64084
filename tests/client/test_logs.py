"""Log files: names safe for any channel, irssi's line format, appended and never rewritten."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from client.cli import build_parser, resolve_settings
from client.logs import ChatLog, log_line, safe_name
from client.state import ClientState, Line, LineKind, Window, WindowKind
from server.protocol import Message
from tests.client.conftest import Peer, running_app, wait_until
from tests.support.servers import RunningServer

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", [
    "#lobby", "#a/b", "#..", "..", ".hidden", "#a\\b:c", "#ünïcödé", "#" + "x" * 300, "*server*", "#a%2Fb",
])
def test_file_names_are_safe_for_any_channel(name: str) -> None:
    safe = safe_name(name)
    assert "/" not in safe and "\\" not in safe and ":" not in safe and not safe.startswith(".")
    assert 0 < len(safe.encode()) <= 180
    assert safe.isascii()


def test_file_names_fold_case_and_never_collide() -> None:
    assert safe_name("#Lobby") == safe_name("#lobby")
    names = ["#a/b", "#a%2Fb", "#a_b", "#a.b", "#" + "x" * 300, "#" + "x" * 299 + "y"]
    assert len({safe_name(n) for n in names}) == len(names)


def test_line_format_is_irssis() -> None:
    local = T0.astimezone().strftime("%H:%M")
    assert log_line(Line(T0, LineKind.MESSAGE, "hello", "bob")) == f"{local} <bob> hello"
    assert log_line(Line(T0, LineKind.ACTION, "waves", "bob")) == f"{local} * bob waves"
    assert log_line(Line(T0, LineKind.NOTICE, "psst", "bob")) == f"{local} -bob- psst"
    assert log_line(Line(T0, LineKind.EVENT, "carol joined")) == f"{local} -!- carol joined"
    assert log_line(Line(T0, LineKind.INFO, "a note of ours")) is None


def test_one_file_per_window_per_day_appended_replays_skipped(tmp_path: Path) -> None:
    state = ClientState(nick="alice")
    log = ChatLog(tmp_path, "irc.example.org:6697")
    state.on_line = lambda window, line, replayed: log.write(window, line, replayed=replayed) and None
    lobby = state.open("#Lobby")
    state.add_line(lobby, Line(T0, LineKind.MESSAGE, "day one", "bob"))
    state.add_line(lobby, Line(T0 - timedelta(hours=1), LineKind.MESSAGE, "replayed at start", "bob"), by_time=True)
    state.add_line(lobby, Line(T0 + timedelta(days=1), LineKind.MESSAGE, "day two", "bob"))
    state.add_line(lobby, Line(T0 + timedelta(days=1, minutes=1), LineKind.MESSAGE, "missed while away", "bob"),
                   by_time=True)
    state.add_line(state.server_window, Line(T0, LineKind.NOTICE, "server says", None))
    day1 = log.path_for(lobby, T0)
    day2 = log.path_for(lobby, T0 + timedelta(days=1))
    assert day1 != day2 and day1.parent == day2.parent == tmp_path / "irc.example.org%3A6697" / "#lobby"
    assert day1.read_text().splitlines()[1:] == [log_line(Line(T0, LineKind.MESSAGE, "day one", "bob"))]
    assert [r.split(" ", 1)[1] for r in day2.read_text().splitlines()[1:]] == [
        "<bob> day two", "<bob> missed while away"]
    assert log.path_for(state.server_window, T0).parent.name == "-server"
    # A second run appends to the same file, after a new "Log opened" line; nothing is rewritten.
    before = day1.read_text()
    again = ChatLog(tmp_path, "irc.example.org:6697")
    again.write(Window("#lobby", WindowKind.CHANNEL), Line(T0, LineKind.ACTION, "is back", "bob"))
    after = day1.read_text()
    assert after.startswith(before) and after.count("--- Log opened") == 2
    assert after.endswith("* bob is back\n")


def test_log_dir_flag_and_config_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('log_dir = "~/irclogs"\n')
    settings = resolve_settings(build_parser().parse_args(["--config", str(cfg)]))
    assert settings.log_dir == Path("~/irclogs").expanduser()
    settings = resolve_settings(build_parser().parse_args(["--config", str(cfg), "--log-dir", str(tmp_path)]))
    assert settings.log_dir == tmp_path


@pytest.mark.timeout(60)
def test_the_client_logs_what_it_shows(chat_srv: RunningServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        peer = await Peer.connect(chat_srv.port, "bob")
        await peer.join("#lobby")
        async with running_app(chat_srv.port, "alice", log_dir=tmp_path / "logs") as run:
            state = run.chat.state
            await wait_until(lambda: (w := state.find("#lobby")) is not None and w.joined, what="joined")
            lobby = state.find("#lobby")
            assert lobby is not None
            peer.send(Message("PRIVMSG", ("#lobby", "hello alice")))
            peer.send(Message("PRIVMSG", ("#lobby", "\x01ACTION waves\x01")))
            await wait_until(lambda: any("waves" in line.text for line in lobby.lines), what="bob's action shown")
            run.type("hi bob\r")
            await peer.expect(lambda m: m.command == "PRIVMSG")
            peer.send(Message("PART", ("#lobby", "bye")))
            await wait_until(lambda: any("bob left" in line.text for line in lobby.lines), what="bob left")
            path = run.chat.keeper.chat_log.path_for(lobby, lobby.lines[-1].time) if run.chat.keeper.chat_log else None
            assert path is not None
        rows = [row.split(" ", 1)[1] for row in path.read_text().splitlines()[1:]]
        assert rows[-4:] == ["<bob> hello alice", "* bob waves", "<alice> hi bob", "-!- bob left (bye)"]
        await peer.close()

    asyncio.run(scenario())
