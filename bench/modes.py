"""Benchmark chat-server's dispatch modes on the issue-6 workloads (python -m bench.modes).

Each repeat starts a fresh server per (mode, workload) on a free loopback
port, runs the workload with chat-loadtest, and stops it; the order of the
modes rotates between repeats so drift on a shared machine spreads evenly.
Medians and ranges go to BENCHMARKS.md, optionally as ratios to ngircd.
"""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest import Params, RunResult, run
from loadtest.runner import RunError

from .markdown import machine, median_range, write_section
from .servers import HOST, Server, chat_server, ngircd_available, ngircd_server

MODES = ("thread", "pool", "process")


@dataclass(frozen=True)
class Metric:
    """One figure of one workload, with the issue's anchor and target."""

    workload: str
    label: str
    pick: Callable[[RunResult], float | None]
    anchor: str
    target: str
    higher_is_better: bool
    digits: int = 0


def _fig(name: str) -> Callable[[RunResult], float | None]:
    def pick(r: RunResult) -> float | None:
        value = r.figures.get(name)
        return None if value is None else float(value)
    return pick


def _lat(hist: str, key: str) -> Callable[[RunResult], float | None]:
    def pick(r: RunResult) -> float | None:
        value = r.as_json()["latency"].get(hist, {}).get(key)
        return None if value is None else float(value)
    return pick


METRICS = [
    Metric("fanout", "fanout C=200 S=10 M=500: deliveries/s", _fig("deliveries_per_s"),
           "1.47 M (C); 1.0 M (single-threaded Python)", ">= 1.5 M", True),
    Metric("rooms", "rooms C=1000 R=100 M=20 @2000/s: latency p99 (ms)", _lat("latency", "p99_ms"),
           "1.2 ms", "<= 1.2 ms", False, 2),
    Metric("rooms", "rooms: latency max (ms)", _lat("latency", "max_ms"), "11 ms", "<= 10 ms", False, 1),
    Metric("connect", "connect N=2000, 100 in flight: registrations/s", _fig("registrations_per_s"),
           "2,350 (Go); C servers 100-750", ">= 2,400", True),
    Metric("idle", "idle N=5000: server KiB per connection", _fig("server_kib_per_connection"),
           "2.0 KiB (Go: 20.6)", "<= 2 KiB", False, 2),
    Metric("idle", "idle N=5000: PING p99 (ms)", _lat("ping", "p99_ms"), "0.45 ms", "<= 0.5 ms", False, 2),
    # No target in the issue: JOIN/QUIT storms are what hurt big IRC servers, so the table shows them.
    Metric("churn", "churn C=200 S=10 @1000/s, 20 churners: chat latency p99 (ms)", _lat("latency", "p99_ms"),
           "-", "-", False, 1),
    Metric("churn", "churn: connect-join-quit cycles/s", _fig("churn_per_s"), "-", "-", True),
]


def params_for(workload: str, port: int, pid: int, procs: int, quick: bool) -> Params:
    scale = 10 if quick else 1
    common: dict[str, Any] = {"host": HOST, "port": port, "procs": procs, "server_pid": pid, "timeout": 120.0}
    if workload == "fanout":
        return Params("fanout", clients=200 // scale, senders=10, messages=500 // scale, **common)
    if workload == "rooms":
        return Params("rooms", clients=1000 // scale, channels=100 // scale, messages=20, rate=2000.0 / scale,
                      **common)
    if workload == "connect":
        return Params("connect", clients=2000 // scale, in_flight=100, **common)
    if workload == "churn":
        return Params("churn", clients=200 // scale, senders=10, messages=200 // scale, rate=1000.0 / scale,
                      churners=20 // scale, **common)
    return Params("idle", clients=5000 // scale, probes=4, hold=5.0 / scale, **common)


def servers(names: list[str], pool: int) -> Iterator[tuple[str, Callable[[], AbstractContextManager[Server]]]]:
    """Each name is ``ngircd`` or a dispatch mode, optionally followed by more chat-server flags."""
    for name in names:
        if name == "ngircd":
            yield name, ngircd_server
        else:
            mode, *flags = shlex.split(name)
            yield name, functools.partial(chat_server, mode, pool, flags=flags)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.modes", description=__doc__.splitlines()[0])
    p.add_argument("--modes", default=",".join(MODES),
                   help="comma-separated dispatch modes (default all three), each optionally followed by more "
                   "chat-server flags, e.g. 'thread,pool,pool --fsync everysec'")
    p.add_argument("--workloads", default="fanout,rooms,connect,idle,churn")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pool", type=int, default=20, help="--pool for chat-server (default 20)")
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="chat-loadtest driver processes")
    p.add_argument("--ngircd", action="store_true", help="also measure Debian's ngircd (flood control off)")
    p.add_argument("--quick", action="store_true", help="one tenth of the sizes (a smoke test, not for the table)")
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = p.parse_args(argv)
    names = [m for m in args.modes.split(",") if m]
    if args.ngircd:
        if not ngircd_available():
            p.error("--ngircd: ngircd is not installed (apt-get install -y ngircd)")
        names.append("ngircd")
    workloads = [w for w in args.workloads.split(",") if w]
    values: dict[tuple[str, str], list[float]] = {}
    problems: dict[str, list[str]] = {}
    lost: dict[str, int] = {}
    for rep in range(args.repeats):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name, factory in servers(order, args.pool):
            for workload in workloads:
                tag = f"repeat {rep + 1}, {name}, {workload}"
                try:
                    with factory() as server:
                        result = run(params_for(workload, server.port, server.proc.pid, args.procs, args.quick),
                                     show_progress=False)
                except (RuntimeError, RunError) as exc:
                    problems.setdefault(name, []).append(f"{workload}: {str(exc).splitlines()[0]}")
                    print(f"{tag}: FAILED {exc}", flush=True)
                    continue
                f = result.figures
                lost[name] = lost.get(name, 0) + int(f.get("lost", 0)) + int(f.get("failures", 0))
                for m in METRICS:
                    if m.workload == workload:
                        v = m.pick(result)
                        if v is not None:
                            values.setdefault((name, m.label), []).append(v)
                if not result.ok:
                    problems.setdefault(name, []).append(
                        f"{workload}: lost {f.get('lost', 0)}, duplicated {f.get('duplicated', 0)}, "
                        f"failed clients {f.get('failures', 0)}, timed out {f.get('timed_out')}; "
                        + ", ".join(f"{k} x{v}" for k, v in list(result.problems.items())[:3]))
                shown = {k: f[k] for k in ("deliveries_per_s", "registrations_per_s", "server_kib_per_connection",
                                           "lost", "failures") if k in f}
                print(f"{tag}: {shown} latency {result.as_json()['latency'].get('latency', {}).get('p99_ms')}",
                      flush=True)
    body = render(args, argv, names, workloads, values, problems, lost)
    write_section(args.out, "modes", body)
    print(body)
    print(f"wrote {args.out}")
    return 0


def render(args: argparse.Namespace, argv: list[str] | None, names: list[str], workloads: list[str],
           values: dict[tuple[str, str], list[float]], problems: dict[str, list[str]], lost: dict[str, int]) -> str:
    command = "python -m bench.modes " + shlex.join(argv if argv is not None else sys.argv[1:])
    head = "| workload / figure | anchor | target | " + " | ".join(names) + " |"
    lines = [
        "## Dispatch modes against the issue-6 targets",
        "",
        f"Command: `{command.strip()}`, on {machine()}; chat-loadtest with `--procs {args.procs}` on the same "
        f"machine; chat-server `--pool {args.pool}`; a fresh server per mode and workload; {args.repeats} repeats "
        "with the mode order rotated; median (min-max) of the repeats."
        + (" **--quick: one tenth of the sizes, not comparable to the targets.**" if args.quick else ""),
        "",
        head,
        "|" + "---|" * (3 + len(names)),
    ]
    for m in METRICS:
        if m.workload not in workloads:
            continue
        cells = [median_range(values.get((n, m.label), []), m.digits) for n in names]
        lines.append(f"| {m.label} | {m.anchor} | {m.target} | " + " | ".join(cells) + " |")
    lines.append("| lost + failed clients (all runs) | | 0 | " + " | ".join(str(lost.get(n, "n/a")) for n in names)
                 + " |")
    lines += ["", "Read the fanout row with the load tester's own ceiling (section \"chat-loadtest ceiling against "
              "the minimal relay\", `python -m bench.ceiling`): a figure close to it measures chat-loadtest on "
              "these 2 cores, not the server."]
    if "ngircd" in names:
        lines += ["", "Ratio to ngircd on the same run (median; >1 is better than ngircd):", "",
                  "| figure | " + " | ".join(n for n in names if n != "ngircd") + " |",
                  "|---|" + "---|" * (len(names) - 1)]
        import statistics
        for m in METRICS:
            ref = values.get(("ngircd", m.label))
            if m.workload not in workloads or not ref:
                continue
            r = statistics.median(ref)
            cells = []
            for n in names:
                if n == "ngircd":
                    continue
                mine = values.get((n, m.label))
                if not mine or not r or not statistics.median(mine):
                    cells.append("n/a")
                    continue
                med = statistics.median(mine)
                cells.append(f"{(med / r if m.higher_is_better else r / med):.2f}")
            lines.append(f"| {m.label} | " + " | ".join(cells) + " |")
    if problems:
        lines += ["", "Problems seen:", ""]
        for n, items in problems.items():
            for item in sorted(set(items)):
                lines.append(f"- {n}: {item}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
