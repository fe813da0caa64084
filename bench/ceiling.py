"""The load tester's own ceiling: fanout against the minimal relay (python -m bench.ceiling)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from loadtest import Params, run

from .markdown import machine, median_range, write_section
from .servers import HOST, relay_server


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--senders", type=int, default=10)
    p.add_argument("--messages", type=int, default=500)
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = p.parse_args(argv)
    rates: list[float] = []
    lost = dup = 0
    p99: list[float] = []
    for i in range(args.repeats):
        with relay_server() as relay:
            result = run(Params("fanout", host=HOST, port=relay.port, procs=args.procs, clients=args.clients,
                                senders=args.senders, messages=args.messages, timeout=120.0),
                         show_progress=False)
        f = result.figures
        rates.append(float(f["deliveries_per_s"]))
        p99.append(float(result.as_json()["latency"]["latency"]["p99_ms"]))
        lost += int(f["lost"])
        dup += int(f["duplicated"])
        print(f"run {i + 1}: {f['deliveries_per_s']:,} deliveries/s, lost {f['lost']}, duplicated {f['duplicated']}",
              flush=True)
    rooms_p99: list[float] = []
    rooms_max: list[float] = []
    for i in range(args.repeats):
        with relay_server() as relay:
            result = run(Params("rooms", host=HOST, port=relay.port, procs=args.procs, clients=1000, channels=100,
                                messages=20, rate=2000.0, timeout=120.0), show_progress=False)
        lat = result.as_json()["latency"]["latency"]
        rooms_p99.append(float(lat["p99_ms"]))
        rooms_max.append(float(lat["max_ms"]))
        lost += int(result.figures["lost"])
        dup += int(result.figures["duplicated"])
        print(f"rooms run {i + 1}: p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms", flush=True)
    command = "python -m bench.ceiling " + shlex.join(argv if argv is not None else sys.argv[1:])
    body = f"""## chat-loadtest ceiling against the minimal relay

Command: `{command.strip()}` on {machine()}.
fanout C={args.clients}, S={args.senders}, M={args.messages}, `--procs {args.procs}`, relay (`python -m loadtest.relay`,
one asyncio process) on the same machine; {args.repeats} runs, median (min-max). The rooms rows are the latency
floor the load tester adds at the rooms target's size and rate.

| figure | measured | issue 6 requirement |
|---|---|---|
| deliveries/s | {median_range(rates)} | >= 2,000,000 |
| latency p99 (ms) | {median_range(p99, 1)} | - |
| rooms C=1000 R=100 M=20 @2000/s against the relay: latency p99 (ms) | {median_range(rooms_p99, 2)} | - |
| rooms against the relay: latency max (ms) | {median_range(rooms_max, 1)} | - |
| lost / duplicated (all runs) | {lost} / {dup} | 0 / 0 |
"""
    write_section(args.out, "loadtest-ceiling", body)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
