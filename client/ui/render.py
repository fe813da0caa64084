"""Formatted text for the screen: message lines, nick colours, status bar, window list, nick list."""

from __future__ import annotations

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.styles import Style

from server.protocol import casefold

from ..state import Activity, ClientState, Line, LineKind, Window, WindowKind
from .wrap import fit, text_width

__all__ = [
    "NICK_PALETTE",
    "STYLE",
    "fit",
    "line_fragments",
    "line_indent",
    "nick_colour",
    "nicklist_fragments",
    "window_label",
]

# Frozen: changing the palette or the hash changes every user's familiar colours (weechat#2032).
NICK_PALETTE = (
    "ansired", "ansigreen", "ansiyellow", "ansiblue", "ansimagenta", "ansicyan",
    "ansibrightred", "ansibrightgreen", "ansibrightyellow", "ansibrightblue", "ansibrightmagenta",
    "ansibrightcyan",
)

STYLE = Style.from_dict({
    "status": "reverse",
    "status.state.bad": "reverse bold fg:ansired",
    "topicbar": "reverse",
    "topicbar.more": "reverse bold",
    "confirm": "bg:ansiyellow fg:ansiblack bold",
    "time": "fg:ansibrightblack",
    "event": "fg:ansibrightblack",
    "info": "",
    "error": "fg:ansired bold",
    "notice": "fg:ansimagenta",
    "own": "bold",
    "mention": "bg:ansiyellow fg:ansiblack",
    "winlist": "",
    "winlist.current": "reverse",
    "winlist.low": "fg:ansibrightblack",
    "winlist.message": "bold",
    "winlist.mention": "fg:ansired bold",
    "nicklist": "",
    "nicklist.prefix": "fg:ansigreen bold",
    "separator": "fg:ansibrightblack",
    "unread": "fg:ansired",
})


def nick_colour(nick: str) -> str:
    """A stable palette colour for a nick: djb2 over the casefolded UTF-8 bytes."""
    value = 5381
    for byte in casefold(nick).encode("utf-8"):
        value = (value * 33 + byte) & 0xFFFFFFFF
    return NICK_PALETTE[value % len(NICK_PALETTE)]


def line_fragments(line: Line) -> StyleAndTextTuples:
    """One message line as styled fragments: time, then the nick in its colour, then the text."""
    stamp = line.time.astimezone().strftime("%H:%M") + " "
    frags: StyleAndTextTuples = [("class:time", stamp)]
    nick = line.nick or ""
    nick_style = "class:own" if line.own else f"fg:{nick_colour(nick)}"
    text_style = "class:mention" if line.mention else ""
    if line.kind is LineKind.MESSAGE:
        frags += [("", "<"), (nick_style, nick), ("", "> "), (text_style, line.text)]
    elif line.kind is LineKind.ACTION:
        frags += [("", "* "), (nick_style, nick), (text_style, " " + line.text)]
    elif line.kind is LineKind.NOTICE:
        if nick:
            frags += [("class:notice", "-"), (nick_style, nick), ("class:notice", "- ")]
        frags.append(("class:notice " + text_style, line.text))
    elif line.kind is LineKind.EVENT:
        frags.append(("class:event", "-- " + line.text))
    elif line.kind is LineKind.ERROR:
        frags.append(("class:error", "!! " + line.text))
    else:
        frags.append(("class:info", line.text))
    return frags


def line_indent(line: Line) -> int:
    """Columns before the message text (time, nick, marker): where wrapped rows of the line start."""
    stamp = 6
    if line.kind is LineKind.MESSAGE:
        return stamp + text_width(line.nick or "") + 3
    if line.kind is LineKind.ACTION:
        return stamp + 2 + text_width(line.nick or "") + 1
    if line.kind is LineKind.NOTICE:
        return stamp + (text_width(line.nick or "") + 3 if line.nick else 0)
    if line.kind in (LineKind.EVENT, LineKind.ERROR):
        return stamp + 3
    return stamp


def window_label(index: int, window: Window) -> str:
    name = "(server)" if window.kind is WindowKind.SERVER else window.name
    return f"{index + 1}:{name}"


def winlist_fragments(state: ClientState, width: int) -> list[tuple[str, str, int]]:
    """Rows of the window list as (style, text, window index), with unread/mention counts at the right."""
    rows: list[tuple[str, str, int]] = []
    for index, window in enumerate(state.windows):
        counts = ""
        if window.mentions:
            counts = f" {window.unread}!{window.mentions}" if window.unread != window.mentions else \
                f" !{window.mentions}"
        elif window.unread:
            counts = f" {window.unread}"
        label = fit(window_label(index, window), max(1, width - len(counts))) + counts
        if index == state.current:
            style = "class:winlist.current"
        else:
            style = {
                Activity.NONE: "class:winlist",
                Activity.LOW: "class:winlist.low",
                Activity.MESSAGE: "class:winlist.message",
                Activity.MENTION: "class:winlist.mention",
            }[window.activity]
        rows.append((style, fit(label, width), index))
    return rows


def nicklist_fragments(state: ClientState, window: Window, width: int) -> StyleAndTextTuples:
    frags: StyleAndTextTuples = [("class:nicklist", fit(f"{len(window.members)} users", width) + "\n")]
    for member in window.sorted_members(state.prefix_symbols):
        prefix = member.prefixes[:1] or " "
        frags.append(("class:nicklist.prefix", prefix))
        frags.append((f"fg:{nick_colour(member.nick)}", fit(member.nick, width - 1) + "\n"))
    return frags
