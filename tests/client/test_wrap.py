"""Word wrap and terminal widths by grapheme cluster (wcwidth), without a screen."""

from __future__ import annotations

from client.ui.wrap import cells, fit, text_width, wrap

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"


def rows_text(text: str, width: int, indent: int) -> list[str]:
    return ["".join(cell.text for cell in row) for row in wrap([("", text)], width, indent)]


def test_family_and_skin_tone_emoji_are_one_cluster_of_two_cells() -> None:
    assert text_width(FAMILY) == 2
    assert text_width(THUMBS_MEDIUM) == 2
    assert [cell.width for cell in cells([("x", f"a{FAMILY}b")])] == [1, 2, 1]
    assert text_width("e\u0301") == 1  # e + combining acute
    assert fit(f"ab{FAMILY}cd", 4) == f"ab{FAMILY}"
    assert fit(f"a{FAMILY}", 2) == "a "  # never half a cluster


def test_wrap_breaks_at_spaces_with_a_hanging_indent_and_no_stray_space() -> None:
    rows = rows_text("12:00 <bob> so that we can   see it now", 24, 12)
    assert rows == ["12:00 <bob> so that we", "            can   see it", "            now"]
    # An indent wider than half the pane would leave too little room: the timestamp's is used.
    assert rows_text("12:00 <bob> so that we can", 20, 12) == ["12:00 <bob> so that", "      we can"]


def test_url_is_kept_whole_unless_wider_than_the_pane() -> None:
    url = "https://example.com/a/b"  # 23 columns
    assert rows_text(f"12:00 <bob> see {url} ok", 30, 12) == [
        "12:00 <bob> see", url + " ok",  # too wide for the indent: its own row, whole
    ]
    assert rows_text(f"12:00 <bob> see {url}x", 38, 12) == ["12:00 <bob> see", " " * 12 + url + "x"]
    long = "https://example.com/" + "a" * 30  # 50 columns: cut, only because the pane is 30 wide
    rows = rows_text(f"<b> {long}", 30, 4)
    assert rows == ["<b> " + long[:26], "    " + long[26:]]


def test_wide_characters_wrap_by_their_width() -> None:
    rows = rows_text(f"<b> {FAMILY} {FAMILY} {FAMILY}", 10, 4)
    assert rows == [f"<b> {FAMILY} {FAMILY}", f"    {FAMILY}"]
    assert all(sum(c.width for c in row) <= 10 for row in wrap([("", "\u65e5" * 30)], 10, 4))


def test_side_lists_and_bars_draw_by_grapheme_cluster() -> None:
    """A family emoji in a window name takes the 2 columns the terminal gives it, so the row ends where
    every other row ends (prompt-toolkit's own Window would count 6 and push the border right)."""
    from prompt_toolkit.data_structures import Point
    from prompt_toolkit.layout.mouse_handlers import MouseHandlers
    from prompt_toolkit.layout.screen import Screen, WritePosition
    from prompt_toolkit.mouse_events import MouseButton, MouseEvent, MouseEventType

    from client.ui.panes import RowsView
    from client.ui.wrap import fit

    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    clicked: list[int] = []
    view = RowsView(lambda: [("class:winlist", fit(f"2 #{family}fam", 12) + "\n"),
                             ("class:winlist", fit("3 #plain", 12) + "\n")], width=12, on_click=clicked.append)
    screen, handlers = Screen(), MouseHandlers()
    view.write_to_screen(screen, handlers, WritePosition(xpos=3, ypos=1, width=12, height=3), "", True, None)
    for y in (1, 2):
        row = screen.data_buffer[y]
        assert sum(row[x].width for x in range(3, 15) if row[x].char) == 12
    row = screen.data_buffer[1]
    assert row[6].char == family and row[6].width == 2 and row[7].char == ""
    assert "".join(screen.data_buffer[2][x].char for x in range(3, 15)) == fit("3 #plain", 12)
    release = MouseEvent(Point(x=5, y=2), MouseEventType.MOUSE_UP, MouseButton.LEFT, frozenset())
    handlers.mouse_handlers[2][5](release)  # a click on the second row, in screen coordinates
    assert clicked == [1]
