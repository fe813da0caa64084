"""Write one marked section of BENCHMARKS.md, leaving everybody else's sections alone."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

from server.compiled import running_compiled

__all__ = ["machine", "median_range", "write_section"]


def write_section(path: Path, key: str, body: str) -> None:
    """Replace the section between this key's markers, or append it when it is new."""
    begin, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    build = "compiled hot path (mypyc)" if all(running_compiled().values()) else "interpreted hot path"
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {sys.version.split()[0]}, {build}")


def median_range(values: list[float], digits: int = 0) -> str:
    """'median (min-max)' of the repeats, or 'n/a'."""
    if not values:
        return "n/a"

    def fmt(v: float) -> str:
        return f"{v:,.{digits}f}"

    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"
