"""Terminal cells by grapheme cluster, and word wrap with a hanging indent; pure, no prompt-toolkit state.

prompt-toolkit measures text one code point at a time, so a family emoji (three people joined by
zero-width joiners) counts as 6 cells where the terminal draws 2. Everything here measures whole
grapheme clusters with wcwidth, which is what terminals draw.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import wcwidth
from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["Cell", "Row", "cells", "fit", "text_width", "wrap"]


class Cell(NamedTuple):
    """One grapheme cluster with its style and the number of terminal columns it takes (1 or 2)."""

    style: str
    text: str
    width: int


Row = list[Cell]


@lru_cache(maxsize=4096)
def _cluster_width(cluster: str) -> int:
    return max(0, wcwidth.width(cluster))


def cells(frags: StyleAndTextTuples) -> Row:
    """Fragments cut into grapheme clusters; zero-width clusters are dropped (nothing to draw)."""
    out: Row = []
    for frag in frags:
        style, text = frag[0], frag[1]
        for cluster in wcwidth.iter_graphemes(text):
            width = 1 if cluster.isascii() and len(cluster) == 1 else _cluster_width(cluster)
            if width:
                out.append(Cell(style, cluster, width))
    return out


def text_width(text: str) -> int:
    """Columns the terminal uses for text."""
    return sum(cell.width for cell in cells([("", text)]))


def fit(text: str, width: int) -> str:
    """Cut text to at most width columns (never splitting a cluster) and pad it to exactly width."""
    out: list[str] = []
    used = 0
    for cell in cells([("", text)]):
        if used + cell.width > width:
            break
        out.append(cell.text)
        used += cell.width
    return "".join(out) + " " * (width - used)


def _words(row: Row) -> list[tuple[Row, Row]]:
    """Split into (spaces, word) pairs: each word with the spaces before it."""
    pairs: list[tuple[Row, Row]] = []
    spaces: Row = []
    word: Row = []
    for cell in row:
        if cell.text == " ":
            if word:
                pairs.append((spaces, word))
                spaces, word = [], []
            spaces.append(cell)
        else:
            word.append(cell)
    if word or spaces:
        pairs.append((spaces, word))
    return pairs


def _width(row: Row) -> int:
    return sum(cell.width for cell in row)


def wrap(frags: StyleAndTextTuples, width: int, indent: int) -> list[Row]:
    """Rows of at most width columns, broken at spaces; continuation rows start indent columns in.

    The spaces at a break are dropped, so no continuation row starts with a stray space. A word
    (a URL, say) that does not fit after the indent gets a row of its own without it, and is only
    cut when it is wider than the pane.
    """
    width = max(1, width)
    indent = indent if 0 <= indent <= width // 2 else min(6, width // 2)
    pad = [Cell("", " ", 1)] * indent
    rows: list[Row] = [[]]
    used = 0
    for spaces, word in _words(cells(frags)):
        need = _width(spaces) + _width(word)
        if not word:  # trailing spaces: keep what fits, they draw nothing anyway
            rows[-1] += spaces[:max(0, width - used)]
            continue
        if used + need <= width:
            rows[-1] += spaces + word
            used += need
            continue
        if _width(word) <= width - indent:
            rows.append(list(pad) + word)
            used = indent + _width(word)
            continue
        if _width(word) <= width:  # too wide for the indent, not for the pane: its own unindented row
            rows.append(list(word))
            used = _width(word)
            continue
        # Wider than any row: start it here (after its spaces when they fit) and cut it by cluster.
        if used + _width(spaces) < width:
            rows[-1] += spaces
            used += _width(spaces)
        for cell in word:
            if used + cell.width > width:
                rows.append(list(pad))
                used = indent
            rows[-1].append(cell)
            used += cell.width
    return rows
