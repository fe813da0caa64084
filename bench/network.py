"""Benchmark one network of several chat-servers on one Redis against a server alone (python -m bench.network).

Each repeat runs every layout on the standard fanout and rooms workloads, in
rotated order, each with fresh servers (and a fresh redis-server):

- ``alone``: one chat-server, no --bus (the single-node default);
- ``1 node``: one chat-server with --bus (what replication costs one server);
- ``2 nodes``: two chat-servers on one Redis, the clients spread over both.

Besides the load tester's figures it reads Redis's command counts (INFO
commandstats) to give the Redis round trips per message sent.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import redis

from loadtest import RunResult, run
from loadtest.runner import RunError
from tests.support.redis_server import RedisMissing, running_redis

from .markdown import machine, median_range, write_section
from .modes import params_for
from .servers import HOST, Server, chat_server

LAYOUTS = ("alone", "1 node", "2 nodes")
WORKLOADS = ("fanout", "rooms")


@contextmanager
def redis_server() -> Iterator[int]:
    try:
        with running_redis() as server:
            yield server.port
    except RedisMissing as exc:
        raise SystemExit(str(exc)) from None


@contextmanager
def layout(name: str, mode: str, pool: int) -> Iterator[tuple[list[Server], int | None]]:
    with ExitStack() as stack:
        if name == "alone":
            yield [stack.enter_context(chat_server(mode, pool))], None
            return
        port = stack.enter_context(redis_server())
        nodes = 1 if name == "1 node" else 2
        servers = [stack.enter_context(chat_server(mode, pool, flags=["--bus", f"redis://{HOST}:{port}/0",
                                                                       "--node-name", f"n{n}"]))
                   for n in range(nodes)]
        yield servers, port


def commands(port: int) -> int:
    stats: dict[str, Any] = redis.Redis(host=HOST, port=port).info("commandstats")
    return sum(int(v["calls"]) for v in stats.values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network", description=__doc__.splitlines()[0])
    p.add_argument("--mode", default="pool", help="chat-server --mode on every node (default pool)")
    p.add_argument("--pool", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="chat-loadtest driver processes")
    p.add_argument("--quick", action="store_true", help="one tenth of the sizes (a smoke test, not for the table)")
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = p.parse_args(argv)
    figures: dict[tuple[str, str], list[float]] = {}
    lost: dict[str, int] = {}
    for rep in range(args.repeats):
        order = LAYOUTS[rep % len(LAYOUTS):] + LAYOUTS[:rep % len(LAYOUTS)]
        for name in order:
            for workload in WORKLOADS:
                try:
                    with layout(name, args.mode, args.pool) as (servers, redis_port):
                        first, *others = servers
                        params = params_for(workload, first.port, first.proc.pid, args.procs, args.quick)
                        params = type(params)(**{**params.as_dict(), "also_ports": tuple(s.port for s in others),
                                                 "server_pid": None})
                        before = commands(redis_port) if redis_port else 0
                        result = run(params, show_progress=False)
                        sent = int(result.figures.get("messages_sent", 0) or 0)
                        if redis_port and sent:
                            label = f"{workload}: Redis commands per message sent (joins included)"
                            figures.setdefault((name, label), []).append((commands(redis_port) - before) / sent)
                except (RuntimeError, RunError) as exc:
                    print(f"repeat {rep + 1}, {name}, {workload}: FAILED {exc}", flush=True)
                    continue
                record(figures, lost, name, workload, result)
    body = render(args, argv, figures, lost)
    write_section(args.out, "network", body)
    print(body)
    return 0


def record(figures: dict[tuple[str, str], list[float]], lost: dict[str, int], name: str, workload: str,
           result: RunResult) -> None:
    f = result.figures
    lost[name] = lost.get(name, 0) + int(f.get("lost", 0)) + int(f.get("failures", 0))
    latency = result.as_json()["latency"].get("latency", {})
    if workload == "fanout":
        figures.setdefault((name, "fanout: deliveries/s"), []).append(float(f["deliveries_per_s"]))
    figures.setdefault((name, f"{workload}: latency p99 (ms)"), []).append(float(latency.get("p99_ms", 0)))
    print(f"{name}, {workload}: {f.get('deliveries_per_s')} deliveries/s, p99 {latency.get('p99_ms')} ms, "
          f"lost {f.get('lost', 0)}", flush=True)


def render(args: argparse.Namespace, argv: list[str] | None, figures: dict[tuple[str, str], list[float]],
           lost: dict[str, int]) -> str:
    command = "python -m bench.network " + shlex.join(argv if argv is not None else sys.argv[1:])
    labels = list(dict.fromkeys(label for _, label in figures))
    lines = ["## Several nodes on one Redis (--bus)", "",
             f"Command: `{command.strip()}`, on {machine()}; every node `--mode {args.mode} --pool {args.pool}`, "
             f"redis-server with appendonly everysec, chat-loadtest `--procs {args.procs}`, all on the same "
             f"machine; {args.repeats} repeats, layouts rotated; median (min-max). Fanout C=200 S=10 M=500, "
             "rooms C=1000 R=100 M=20 @2000/s; with 2 nodes the clients alternate between them."
             + (" **--quick: one tenth of the sizes.**" if args.quick else ""),
             "", "| figure | " + " | ".join(LAYOUTS) + " |", "|---|" + "---|" * len(LAYOUTS)]
    for label in labels:
        digits = 0 if "deliveries" in label else 2
        cells = [median_range(figures.get((name, label), []), digits) if (name, label) in figures else "-"
                 for name in LAYOUTS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| lost + failed clients (all runs) | " + " | ".join(str(lost.get(n, 0)) for n in LAYOUTS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
