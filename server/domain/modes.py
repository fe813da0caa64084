"""Channel mode strings: parsing ``+ov-k nick nick key`` into changes, and rendering them back."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHANMODES", "LIST_MODES", "MAX_MODES", "ModeChange", "parse_mode_changes", "render_mode_changes"]

LIST_MODES = "beI"  # bans, ban exceptions, invite exceptions
ALWAYS_ARG = "k"  # takes a parameter when set and when unset
SET_ARG = "l"  # takes a parameter only when set
FLAG_MODES = "Cimnst"  # C: no CTCP but ACTION
MEMBER_MODES = "ov"
CHANMODES = f"{LIST_MODES},{ALWAYS_ARG},{SET_ARG},{FLAG_MODES}"
MAX_MODES = 4


@dataclass(frozen=True, slots=True)
class ModeChange:
    add: bool
    letter: str
    arg: str = ""


def parse_mode_changes(modestring: str, args: list[str]) -> tuple[list[ModeChange], list[str]]:
    """Split a mode string into changes; returns them and the unknown letters.

    A change that needs an argument and has none is dropped, except list
    modes without an argument, which stand for a query of the list.
    """
    changes: list[ModeChange] = []
    unknown: list[str] = []
    add = True
    remaining = list(args)
    for letter in modestring:
        if letter in "+-":
            add = letter == "+"
            continue
        if letter in MEMBER_MODES or letter in ALWAYS_ARG or letter in LIST_MODES or (add and letter in SET_ARG):
            if remaining:
                changes.append(ModeChange(add, letter, remaining.pop(0)))
            elif letter in LIST_MODES:
                changes.append(ModeChange(add, letter))
        elif letter in FLAG_MODES or letter in SET_ARG:
            changes.append(ModeChange(add, letter))
        else:
            unknown.append(letter)
    return changes, unknown


def render_mode_changes(changes: list[ModeChange]) -> tuple[str, ...]:
    """``[+o a, +v b, -t]`` -> ``("+ov-t", "a", "b")``."""
    out = ""
    args: list[str] = []
    sign = ""
    for change in changes:
        want = "+" if change.add else "-"
        if want != sign:
            out += want
            sign = want
        out += change.letter
        if change.arg:
            args.append(change.arg)
    return (out, *args)
