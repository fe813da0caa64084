"""Benchmark one network of several chat-servers on Redis against a server alone (python -m bench.network).

Each repeat runs every chosen layout (``--layouts``, default all four) on the
standard fanout and rooms workloads, in rotated order, each with fresh servers
(and a fresh redis-server or Redis Cluster):

- ``alone``: one chat-server, no --bus (the single-node default);
- ``1 node``: one chat-server with --bus (what replication costs one server);
- ``2 nodes``: two chat-servers on one Redis, the clients spread over both;
- ``cluster``: two chat-servers on a 3-master Redis Cluster (no replicas), the
  clients spread over both.

Besides the load tester's figures it reads Redis's command counts (INFO
commandstats, summed over the masters) to give the Redis round trips per
message sent, and on the cluster the busiest master's share of them.
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
from tests.support.redis_server import RedisMissing, running_redis, running_redis_cluster

from .markdown import machine, median_range, write_section
from .modes import params_for
from .servers import HOST, Server, chat_server

LAYOUTS = ("alone", "1 node", "2 nodes", "cluster")
CLUSTER_MASTERS = 3
WORKLOADS = ("fanout", "rooms")


@contextmanager
def redis_bus(name: str) -> Iterator[tuple[str, list[int]]]:
    """The --bus URL for a layout and the ports of the Redis masters behind it."""
    try:
        if name == "cluster":
            with running_redis_cluster(CLUSTER_MASTERS) as url:
                yield url, [int(address.rsplit(":", 1)[1]) for address in url.split("://", 1)[1].split(",")]
        else:
            with running_redis() as server:
                yield f"redis://{HOST}:{server.port}/0", [server.port]
    except RedisMissing as exc:
        raise SystemExit(str(exc)) from None


@contextmanager
def layout(name: str, mode: str, pool: int) -> Iterator[tuple[list[Server], list[int]]]:
    """The layout's chat-servers (clients alternate between them) and the ports of its Redis masters."""
    with ExitStack() as stack:
        if name == "alone":
            yield [stack.enter_context(chat_server(mode, pool))], []
            return
        url, ports = stack.enter_context(redis_bus(name))
        nodes = 1 if name == "1 node" else 2
        servers = [stack.enter_context(chat_server(mode, pool, flags=["--bus", url, "--node-name", f"n{n}"]))
                   for n in range(nodes)]
        yield servers, ports


def commands(ports: list[int]) -> list[int]:
    """Each master's count of commands run so far (INFO commandstats)."""
    counts = []
    for port in ports:
        with redis.Redis(host=HOST, port=port) as client:
            stats: dict[str, Any] = client.info("commandstats")
        counts.append(sum(int(v["calls"]) for v in stats.values()))
    return counts


def chosen_layouts(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in LAYOUTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"layouts are a comma-separated list of {', '.join(LAYOUTS)}; "
                                         f"not {', '.join(unknown) or 'none'}")
    return names


def section_key(layouts: tuple[str, ...]) -> str:
    """'network' for the full table; a run of fewer layouts writes its own section rather than overwrite it."""
    if set(layouts) == set(LAYOUTS):
        return "network"
    return "network-" + "-".join(name.replace(" ", "-") for name in layouts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.network", description=__doc__.splitlines()[0])
    p.add_argument("--mode", default="pool", help="chat-server --mode on every node (default pool)")
    p.add_argument("--pool", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="chat-loadtest driver processes")
    p.add_argument("--quick", action="store_true", help="one tenth of the sizes (a smoke test, not for the table)")
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    p.add_argument("--layouts", type=chosen_layouts, default=LAYOUTS, metavar="NAME,...",
                   help=f"which of {','.join(LAYOUTS)} to run (default all; fewer write a section of their own)")
    args = p.parse_args(argv)
    layouts: tuple[str, ...] = args.layouts
    figures: dict[tuple[str, str], list[float]] = {}
    lost: dict[str, int] = {}
    for rep in range(args.repeats):
        order = layouts[rep % len(layouts):] + layouts[:rep % len(layouts)]
        for name in order:
            for workload in WORKLOADS:
                try:
                    with layout(name, args.mode, args.pool) as (servers, redis_ports):
                        first, *others = servers
                        params = params_for(workload, first.port, first.proc.pid, args.procs, args.quick)
                        params = type(params)(**{**params.as_dict(), "also_ports": tuple(s.port for s in others),
                                                 "server_pid": None})
                        before = commands(redis_ports)
                        result = run(params, show_progress=False)
                        spent = [after - b for after, b in zip(commands(redis_ports), before, strict=True)]
                        record_redis(figures, name, workload, spent, int(result.figures.get("messages_sent", 0) or 0))
                except (RuntimeError, RunError) as exc:
                    print(f"repeat {rep + 1}, {name}, {workload}: FAILED {exc}", flush=True)
                    continue
                record(figures, lost, name, workload, result)
    body = render(args, argv, layouts, figures, lost)
    write_section(args.out, section_key(layouts), body)
    print(body)
    return 0


def record_redis(figures: dict[tuple[str, str], list[float]], name: str, workload: str, spent: list[int],
                 sent: int) -> None:
    """Redis commands per message over all masters and, with several masters, how evenly they share them."""
    total = sum(spent)
    if spent and sent:
        label = f"{workload}: Redis commands per message sent (joins included)"
        figures.setdefault((name, label), []).append(total / sent)
    if len(spent) > 1 and total > 0:
        label = f"{workload}: busiest master's share of Redis commands (%)"
        figures.setdefault((name, label), []).append(100 * max(spent) / total)


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


ROWS = ("deliveries/s", "latency p99", "Redis commands per message", "busiest master's share")


def row_order(label: str) -> tuple[int, int]:
    """A workload's rows together, in the order of ROWS."""
    workload, _, figure = label.partition(": ")
    kind = next((n for n, row in enumerate(ROWS) if figure.startswith(row)), len(ROWS))
    return (WORKLOADS.index(workload) if workload in WORKLOADS else len(WORKLOADS), kind)


def render(args: argparse.Namespace, argv: list[str] | None, layouts: tuple[str, ...],
           figures: dict[tuple[str, str], list[float]], lost: dict[str, int]) -> str:
    command = "python -m bench.network " + shlex.join(argv if argv is not None else sys.argv[1:])
    labels = sorted(dict.fromkeys(label for _, label in figures), key=row_order)
    cluster = (f" The cluster layout is two nodes on a Redis Cluster of {CLUSTER_MASTERS} masters (no replicas, "
               "all on this machine); its Redis commands are summed over the masters."
               if "cluster" in layouts else "")
    lines = ["## Several nodes on one Redis or a Redis Cluster (--bus)", "",
             f"Command: `{command.strip()}`, on {machine()}; every node `--mode {args.mode} --pool {args.pool}`, "
             f"redis-server with appendonly everysec, chat-loadtest `--procs {args.procs}`, all on the same "
             f"machine; {args.repeats} repeats, layouts rotated; median (min-max). Fanout C=200 S=10 M=500, "
             "rooms C=1000 R=100 M=20 @2000/s; with two nodes the clients alternate between them." + cluster
             + (" **--quick: one tenth of the sizes.**" if args.quick else ""),
             "", "| figure | " + " | ".join(layouts) + " |", "|---|" + "---|" * len(layouts)]
    for label in labels:
        digits = 0 if "deliveries" in label else 2
        cells = [median_range(figures.get((name, label), []), digits) if (name, label) in figures else "-"
                 for name in layouts]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| lost + failed clients (all runs) | " + " | ".join(str(lost.get(n, 0)) for n in layouts) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
