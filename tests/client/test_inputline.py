"""The input line by grapheme cluster: where the cursor is drawn, how the text scrolls, keys over clusters."""

from __future__ import annotations

import asyncio

import pytest
import wcwidth

from client.ui.inputline import InputView, cluster_starts, input_view
from tests.client.conftest import running_app, wait_until
from tests.support.servers import RunningServer

PROMPT = [("bold", "[#lobby] ")]  # 9 columns
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 5 code points, 2 columns
THUMB = "\U0001f44d\U0001f3fd"  # thumbs up with a skin tone: 2 code points, 2 columns
CJK = "\u65e5\u672c\u8a9e"  # 3 code points, 6 columns
COMBINING = "e\u0301"  # 2 code points, 1 column


def drawn(view: InputView) -> str:
    return "".join(cell.text for cell in view.row)


def columns(view: InputView) -> int:
    return sum(cell.width for cell in view.row)


@pytest.mark.parametrize(("text", "cursor", "x"), [
    ("abc", 3, 12),
    (f"a{FAMILY}b", 1 + len(FAMILY), 12),
    (f"a{FAMILY}b", len(f"a{FAMILY}b"), 13),
    (f"{THUMB}{THUMB}", len(THUMB), 11),
    (CJK, 3, 15),
    (CJK, 1, 11),
    (f"{COMBINING}x", 2, 10),
    (f"{COMBINING}x", 3, 11),
    (f"a{FAMILY}", 3, 10),  # inside the cluster (moved there by code point): drawn at its start
])
def test_the_cursor_sits_where_the_terminal_draws(text: str, cursor: int, x: int) -> None:
    view = input_view(PROMPT, text, cursor, 40, 0)
    assert view.cursor_x == x
    assert drawn(view) == "[#lobby] " + text
    assert columns(view) == 9 + wcwidth.width(text)


@pytest.mark.parametrize("width", [50, 30, 15])
@pytest.mark.parametrize("unit", ["x", FAMILY, CJK[0], COMBINING, THUMB + " "])
def test_a_long_line_scrolls_under_a_prompt_that_stays(width: int, unit: str) -> None:
    text = unit * 120
    scroll = 0
    for cursor in [*cluster_starts(text)[::7], len(text)]:
        view = input_view(PROMPT, text, cursor, width, scroll)
        scroll = view.scroll
        assert drawn(view).startswith("[#lob"), drawn(view)  # the prompt (at most half the width) stays
        assert columns(view) <= width
        assert min(9, width // 2) <= view.cursor_x < width, (cursor, view.cursor_x)
    # Back to the start: the text scrolls back too; an empty line has nothing scrolled away.
    assert input_view(PROMPT, text, 0, width, scroll).cursor_x == min(9, width // 2)
    assert input_view(PROMPT, "", 0, width, scroll) == InputView(
        input_view(PROMPT, "", 0, width, 0).row, min(9, width // 2), 0, input_view(PROMPT, "", 0, width, 0).offsets)


def test_a_wide_cluster_cut_by_the_edge_is_blank_not_half_drawn() -> None:
    text = "x" + CJK * 10
    view = input_view(PROMPT, text, len(text), 20, 0)
    assert columns(view) <= 20
    assert all(cell.width in (1, 2) for cell in view.row)
    # Every cluster drawn is whole: the drawn text (blanks aside) is a run of the typed clusters.
    assert drawn(view)[9:].strip(" ") in text


def test_cluster_starts() -> None:
    assert cluster_starts(f"a{FAMILY}{COMBINING}") == [0, 1, 6, 8]
    assert cluster_starts("") == [0]


def test_keys_step_and_delete_whole_clusters(chat_srv: RunningServer) -> None:
    async def scenario() -> None:
        async with running_app(chat_srv.port, "alice") as run:
            await wait_until(lambda: run.chat.state.status == "connected", what="connected")
            buffer = run.chat.input.buffer
            run.type(f"a{FAMILY}{CJK[0]}b")
            await wait_until(lambda: buffer.text.endswith("b"), what="typing")
            run.type("\x1b[D\x1b[D")  # Left twice: over "b", then over the CJK character
            await wait_until(lambda: buffer.cursor_position == 1 + len(FAMILY), what="Left over one cluster")
            run.type("\x7f")  # Backspace removes the whole family, not one code point of it
            await wait_until(lambda: buffer.text == f"a{CJK[0]}b", what="Backspace over the family")
            run.type("\x1b[3~")  # Delete removes the CJK character after the cursor
            await wait_until(lambda: buffer.text == "ab", what="Delete")
            run.type("\x1b[C")  # Right over "b"
            await wait_until(lambda: buffer.cursor_position == 2, what="Right")

    asyncio.run(scenario())
