"""The screen as a terminal draws it (tmux): the prompt survives long lines, word wrap, wide graphemes."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
import wcwidth

from tests.client.conftest import Tmux, client_command, client_env
from tests.support.client import LineClient
from tests.support.servers import RunningServer

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

STAMP = re.compile(r"^\d\d:\d\d ")


def pane_rows(screen: str) -> list[str]:
    """The message pane's text on each screen row: after the window list, before the nick list."""
    rows = []
    for row in screen.splitlines()[1:]:
        parts = row.split("\u2502")
        if len(parts) >= 2:
            rows.append(parts[1])
    return rows


def message_rows(screen: str, first_word: str) -> list[str]:
    """The rows of the message whose text starts with first_word: its first row and the indented ones after."""
    rows = pane_rows(screen)
    start = next(i for i, row in enumerate(rows) if STAMP.match(row) and f"> {first_word}" in row)
    out = [rows[start]]
    for row in rows[start + 1:]:
        if STAMP.match(row) or not row.strip() or (row[0] != " " and not row.startswith("https://")):
            break
        out.append(row)
    return out


def assert_wrapped_at_spaces(rows: list[str], nick: str, words: list[str]) -> None:
    indent = len(f"00:00 <{nick}> ")
    assert len(rows) > 1, rows
    for row in rows[1:]:
        if row.startswith("https://"):
            continue  # too wide for the indent: a row of its own, so it is not cut
        assert row[:indent] == " " * indent and row[indent] != " ", f"continuation not under the text: {row!r}"
    text = " ".join(row.strip() for row in rows)
    assert text.split(" ", 2)[2].split() == words  # every word whole, none cut across rows


def wait_screen(tmux: Tmux, name: str, check: object, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux.capture(name)
        try:
            assert callable(check)
            if check(screen):
                return screen
        except (StopIteration, AssertionError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"screen never matched:\n{screen}")


@pytest.mark.parametrize("size", [(80, 24), (50, 15)])
def test_prompt_stays_and_lines_wrap_at_spaces(chat_srv: RunningServer, tmux: Tmux, tmp_path: Path,
                                               size: tuple[int, int]) -> None:
    tmux.start("ann", f"{client_command(chat_srv.port)} --nick ann", client_env(tmp_path), size)
    tmux.wait_for("ann", "You joined #lobby")
    with LineClient(chat_srv.address, "bob") as bob:
        bob.send("JOIN #lobby")
        bob.expect(" 366 ")

        # While typing a line wider than the input box, the input scrolls and the prompt stays;
        # after sending it (typed, or pasted) the prompt is whole again.
        tmux.run("send-keys", "-t", "ann", "x" * 150)
        screen = wait_screen(tmux, "ann", lambda s: s.splitlines()[-1].endswith("xxxx"))
        assert screen.splitlines()[-1].startswith("[#lobby] x"), screen
        tmux.run("send-keys", "-t", "ann", "Enter")
        bob.expect("PRIVMSG #lobby :xxxx")
        words = [f"word{i:03d}" for i in range(40 if size[0] >= 80 else 14)]
        tmux.run("send-keys", "-t", "ann", "\x1b[200~" + " ".join(words) + "\x1b[201~", "Enter")
        bob.expect("PRIVMSG #lobby :word000")
        screen = wait_screen(tmux, "ann", lambda s: words[-1] in s)
        assert screen.splitlines()[-1].startswith("[#lobby]"), screen
        assert_wrapped_at_spaces(message_rows(screen, "word000"), "ann", words)

        # Text with a URL shorter than the pane: wrapped at spaces, the URL on one row.
        url = "https://example.com/some/path"
        said = f"so that we can see the new build at {url} and tell everyone what broke today".split()
        bob.send(f"PRIVMSG #lobby :{' '.join(said)}")
        screen = wait_screen(tmux, "ann", lambda s: "today" in s)
        rows = message_rows(screen, "so")
        assert_wrapped_at_spaces(rows, "bob", said)
        assert any(url in row for row in rows)


def test_wide_graphemes_keep_the_border_straight(chat_srv: RunningServer, tmux: Tmux, tmp_path: Path) -> None:
    tmux.start("ann", f"{client_command(chat_srv.port)} --nick ann", client_env(tmp_path))
    tmux.wait_for("ann", "You joined #lobby")
    with LineClient(chat_srv.address, "bob") as bob:
        bob.send("JOIN #lobby")
        bob.expect(" 366 ")
        family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
        bob.send(f"PRIVMSG #lobby :the {family} family and \u65e5\u672c the end")
        screen = wait_screen(tmux, "ann", lambda s: "the end" in s)
    rows = [row for row in screen.splitlines()[1:-2] if row.count("\u2502") == 2]
    borders = {wcwidth.width(row[:row.rindex("\u2502")]) for row in rows}
    emoji_row = next(row for row in rows if family in row)
    assert borders == {80 - 15 - 1}, f"right border moved on:\n{emoji_row}\n{screen}"
    assert "the end" in emoji_row  # counted as 2 cells, so the line did not wrap early


def cursor(tmux: Tmux, name: str) -> tuple[int, int]:
    x, y = tmux.run("display-message", "-p", "-t", name, "#{cursor_x} #{cursor_y}").split()
    return int(x), int(y)


@pytest.mark.parametrize("size", [(80, 24), (50, 15)])
def test_input_cursor_and_scroll_by_what_the_terminal_draws(chat_srv: RunningServer, tmux: Tmux, tmp_path: Path,
                                                            size: tuple[int, int]) -> None:
    width, height = size
    tmux.start("ann", f"{client_command(chat_srv.port)} --nick ann", client_env(tmp_path), size)
    tmux.wait_for("ann", "You joined #lobby")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    typed = f"hi {family} \u65e5\u672c e\u0301 ok"
    tmux.run("send-keys", "-t", "ann", "-l", typed)
    screen = wait_screen(tmux, "ann", lambda s: s.splitlines()[-1].rstrip().endswith("ok"))
    assert screen.splitlines()[-1].startswith("[#lobby] hi"), screen
    assert cursor(tmux, "ann") == (len("[#lobby] ") + wcwidth.width(typed), height - 1)
    tmux.run("send-keys", "-t", "ann", "Left", "Left", "Left", "Left")  # over "ok", " ", and e + accent
    wait_screen(tmux, "ann", lambda s: cursor(tmux, "ann")[0] == len("[#lobby] ") + wcwidth.width(typed) - 4)

    # Far wider than the box: the prompt stays, the cursor stays on screen, no row grows past the pane.
    tmux.run("send-keys", "-t", "ann", "End")
    tmux.run("send-keys", "-t", "ann", "-l", f" {family}\u65e5x" * 30)
    screen = wait_screen(tmux, "ann", lambda s: s.splitlines()[-1].rstrip().endswith("x"))
    last = screen.splitlines()[-1]
    assert last.startswith("[#lobby] "), screen
    assert wcwidth.width(last.rstrip()) <= width
    x, y = cursor(tmux, "ann")
    assert (y, wcwidth.width(last.rstrip())) == (height - 1, x), screen  # the cursor right after the last "x"
    tmux.run("send-keys", "-t", "ann", "Home")
    wait_screen(tmux, "ann", lambda s: cursor(tmux, "ann") == (len("[#lobby] "), height - 1)
                and s.splitlines()[-1].startswith("[#lobby] hi"))
