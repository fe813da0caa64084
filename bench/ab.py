"""Before and after, interleaved (python -m bench.ab --before DIR [--variant 'LABEL=FLAGS'] --section KEY).

Runs the same workloads against chat-server from an older checkout (``--before``,
e.g. a worktree at the commit before a change) and from this one, and from
this one with extra flags for each ``--variant``, rotating which goes first,
and writes medians and ranges to one section of BENCHMARKS.md. It wrote the
"durability" section (before: the last commit whose log lived only in memory)
and the "flood-control" one.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from loadtest import Params, RunResult, run
from loadtest.runner import RunError

from .markdown import machine, median_range, write_section
from .servers import HOST, chat_server


def _rate(result: RunResult) -> float | None:
    value = result.figures.get("deliveries_per_s")
    return None if value is None else float(value)


def _latency(key: str) -> Callable[[RunResult], float | None]:
    def pick(result: RunResult) -> float | None:
        value = result.as_json()["latency"].get("latency", {}).get(key)
        return None if value is None else float(value)
    return pick


FIGURES: list[tuple[str, str, Callable[[RunResult], float | None], int]] = [
    ("fanout", "fanout C=200 S=10 M=500: deliveries/s", _rate, 0),
    ("fanout", "fanout: latency p99 (ms)", _latency("p99_ms"), 1),
    ("rooms", "rooms C=1000 R=100 M=20 @2000/s: latency p50 (ms)", _latency("p50_ms"), 2),
    ("rooms", "rooms: latency p99 (ms)", _latency("p99_ms"), 2),
]


def params(workload: str, port: int, pid: int) -> Params:
    if workload == "fanout":
        return Params("fanout", host=HOST, port=port, server_pid=pid, clients=200, senders=10, messages=500)
    return Params("rooms", host=HOST, port=port, server_pid=pid, clients=1000, channels=100, messages=20,
                  rate=2000.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    p.add_argument("--before", type=Path, required=True, help="checkout of the server to compare against")
    p.add_argument("--before-label", default="before", help="what --before is, for the table")
    p.add_argument("--mode", default="pool")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    p.add_argument("--variant", action="append", default=[], metavar="LABEL=FLAGS",
                   help="also run this checkout with these chat-server flags, "
                   "e.g. 'flood control on=--flood-control on'")
    p.add_argument("--workloads", default="fanout,rooms", help="which of fanout,rooms to run for every server")
    p.add_argument("--variant-workloads", help="which of them to run for the variants (default: the same)")
    p.add_argument("--flags", default="", help="chat-server flags for every server, before and now alike")
    p.add_argument("--section", default="durability", help="the BENCHMARKS.md section to write")
    p.add_argument("--title", default="What durability costs", help="its heading")
    args = p.parse_args(argv)
    common = shlex.split(args.flags)
    sources: list[tuple[str, Path | None, list[str]]] = [(args.before_label, args.before, common),
                                                         ("now", None, common)]
    for variant in args.variant:
        label, _, flags = variant.partition("=")
        sources.append((label, None, [*common, *shlex.split(flags)]))
    workloads = args.workloads.split(",")
    variant_workloads = (args.variant_workloads or args.workloads).split(",")
    values: dict[tuple[str, str], list[float]] = {}
    lost = 0
    for rep in range(args.repeats):
        order = sources[rep % len(sources):] + sources[:rep % len(sources)]
        for label, source, flags in order:
            for workload in workloads if sources.index((label, source, flags)) < 2 else variant_workloads:
                try:
                    with chat_server(args.mode, source=source, flags=flags) as server:
                        result = run(params(workload, server.port, server.proc.pid), show_progress=False)
                except (RuntimeError, RunError) as exc:
                    print(f"{label} {workload}: FAILED {exc}", flush=True)
                    continue
                lost += int(result.figures.get("lost", 0)) + int(result.figures.get("failures", 0))
                for name, figure, pick, _ in FIGURES:
                    value = pick(result) if name == workload else None
                    if value is not None:
                        values.setdefault((label, figure), []).append(float(value))
                print(f"repeat {rep + 1} {label} {workload}: "
                      f"{ {f: values.get((label, f), [])[-1:] for n, f, _, _ in FIGURES if n == workload} }",
                      flush=True)
    rows = [f"| {figure} | " + " | ".join(median_range(values.get((label, figure), []), digits)
                                         for label, _, _ in sources) + " |"
            for name, figure, _, digits in FIGURES if name in workloads]
    body = "\n".join([
        f"## {args.title}",
        "",
        f"Command: `python -m bench.ab {shlex.join(sys.argv[1:] if argv is None else argv)}`, on "
        f"{machine()}; chat-server `{' '.join(['--mode', args.mode, '--pool 20 --flood-control off', *common])}` "
        "unless a column says "
        f"otherwise; {args.repeats} repeats rotating which server goes first; median (min-max). Lost or failed in "
        "all runs: " + str(lost) + ".",
        "",
        f"| figure | {' | '.join(label for label, _, _ in sources)} |",
        "|---|" + "---|" * len(sources),
        *rows,
    ])
    write_section(args.out, args.section, body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
