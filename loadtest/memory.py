"""Resident memory of a process and all its descendants, read from /proc."""

from __future__ import annotations

from pathlib import Path

__all__ = ["descendants", "tree_rss_kib"]


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields resume after the last ')'.
        fields = text[text.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def descendants(pid: int) -> list[int]:
    """pid and every process below it."""
    children = _children_map()
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int | None:
    """Summed VmRSS of pid and its descendants in KiB; None if pid does not exist."""
    if not Path(f"/proc/{pid}").exists():
        return None
    return sum(_rss_kib(p) for p in descendants(pid))
