"""What a storm of refused connections costs everyone else (python -m bench.storm).

Runs the rooms workload against chat-server (pool mode, flood control off,
the default per-address limits) three times per repeat, in rotating order:
quiet; while another process opens connections as fast as it can from two
non-exempt loopback addresses (127.0.1.x) to a second chat-server, which
refuses nearly all of them (what the storm's own CPU costs a 2-core machine);
and while it storms the server under test. The last two differ by what
refusing costs that server's other users. The storm is bounded in count and
time and targets only loopback servers. Medians go to the "refused-storm"
section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shlex
import socket
import sys
import threading
import time
from multiprocessing.synchronize import Event
from pathlib import Path

from loadtest import Params, RunResult, run

from .markdown import machine, median_range, write_section
from .servers import HOST, chat_server

SOURCES = ("127.0.1.2", "127.0.1.3")
CONDITIONS = ("quiet", "storm elsewhere", "storm here")


def _storm(port: int, stop: Event, limit: int, counts: multiprocessing.Queue[tuple[int, int]]) -> None:
    """Connect, read the verdict, close; from each source address in turn, until told or ``limit``."""
    attempts = refused = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal attempts, refused
        n = offset
        while not stop.is_set():
            with lock:
                if attempts >= limit:
                    return
                attempts += 1
            n += 1
            try:
                with socket.create_connection((HOST, port), timeout=2,
                                              source_address=(SOURCES[n % len(SOURCES)], 0)) as sock:
                    sock.settimeout(0.05)  # an admitted connection hears nothing: move on
                    if sock.recv(128).startswith(b"ERROR"):
                        with lock:
                            refused += 1
            except OSError:
                pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts.put((attempts, refused))


def rooms(port: int, pid: int) -> RunResult:
    return run(Params("rooms", host=HOST, port=port, server_pid=pid, clients=1000, channels=100, messages=20,
                      rate=2000.0), show_progress=False)


def p99(result: RunResult) -> float:
    return float(result.as_json()["latency"]["latency"]["p99_ms"])


def p50(result: RunResult) -> float:
    return float(result.as_json()["latency"]["latency"]["p50_ms"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--limit", type=int, default=100_000, help="connection attempts per storm, at most")
    p.add_argument("--out", default="BENCHMARKS.md")
    args = p.parse_args(argv)
    values: dict[str, list[float]] = {}
    storms: list[tuple[int, int, float]] = []
    lost = 0
    for rep in range(args.repeats):
        for label in CONDITIONS[rep % 3:] + CONDITIONS[:rep % 3]:
            with chat_server("pool") as server, chat_server("pool") as other:
                stop = multiprocessing.Event()
                counts: multiprocessing.Queue[tuple[int, int]] = multiprocessing.Queue()
                target = server.port if label == "storm here" else other.port
                proc = multiprocessing.Process(target=_storm, args=(target, stop, args.limit, counts))
                started = time.monotonic()
                if label != "quiet":
                    proc.start()
                    time.sleep(1.0)  # the storm is under way (and past the admitted first few) before the chat
                result = rooms(server.port, server.proc.pid)
                if label != "quiet":
                    stop.set()
                    attempts, refused = counts.get(timeout=30)
                    proc.join(10)
                    if label == "storm here":
                        storms.append((attempts, refused, time.monotonic() - started))
            lost += int(result.figures.get("lost", 0)) + int(result.figures.get("failures", 0))
            values.setdefault(f"{label} p50", []).append(p50(result))
            values.setdefault(f"{label} p99", []).append(p99(result))
            print(f"repeat {rep + 1} {label}: p50 {p50(result):.2f} ms, p99 {p99(result):.2f} ms", flush=True)
    rate = [a / s for a, _, s in storms]
    body = "\n".join([
        "## A storm of refused connections",
        "",
        f"Command: `python -m bench.storm {shlex.join(sys.argv[1:] if argv is None else argv)}`, on {machine()}; "
        "chat-server `--mode pool --pool 20 --flood-control off`, default limits (16 per address, 32 new per "
        f"600 s); rooms C=1000 R=100 M=20 @2000/s; {args.repeats} repeats rotating the three; median "
        f"(min-max). Lost or failed in all runs: {lost}.",
        "",
        "| figure | quiet | storm at another server | storm at this server |",
        "|---|---|---|---|",
        *(f"| rooms latency {q} (ms) | " + " | ".join(median_range(values[f"{c} {q}"], 2) for c in CONDITIONS) + " |"
          for q in ("p50", "p99")),
        f"| storm: connection attempts | - | - | {median_range([float(a) for a, _, _ in storms])} |",
        f"| storm: refused | - | - | {median_range([float(r) for _, r, _ in storms])} |",
        f"| storm: attempts a second | - | - | {median_range(rate)} |",
    ])
    write_section(Path(args.out), "refused-storm", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
