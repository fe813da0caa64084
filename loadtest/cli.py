"""The chat-loadtest command line."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from .params import DEFAULTS, WORKLOADS, Params
from .runner import RunError, run

__all__ = ["build_parser", "main", "params_from_args"]

_EPILOG = """\
workloads (each bounded in count and time, and stops by itself):
  connect  N clients connect and register (to 001), --in-flight handshakes at a time:
           registrations/s, time until all are in, failures
  fanout   --clients join one channel; --senders of them send --messages each as fast as the
           server takes them: deliveries/s, latency percentiles, lost/duplicated/out-of-order
  rooms    --clients spread over --channels, each sending --messages at a total --rate msg/s:
           latency percentiles and loss
  idle     --clients registered and held open; PING round trips from --probes clients for --hold
           seconds; server memory per connection with --server-pid
  churn    --clients in one channel, --senders chat at --rate while --churners connect, join and
           quit over and over

defaults per workload (the sizes of the project's targets):
""" + "\n".join(f"  {w:<8} " + ", ".join(f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else
                                          f"--{k.replace('_', '-')} {v}" for k, v in d.items())
                for w, d in DEFAULTS.items()) + """

Every message carries its sender, a sequence number and its send time, so each delivery is
checked: exit status 0 when nothing was lost, duplicated or failed, 1 otherwise, 2 when the
load tester itself could not run.

examples:
  chat-loadtest --workload fanout --clients 200 --senders 10 --messages 500 --json out.json --plot out.png
  chat-loadtest -w idle --clients 5000 --server-pid $(pgrep -f 'python -m server' | head -1)
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chat-loadtest",
        description="Load-test an IRC chat server: many client connections from several processes, "
        "measuring throughput, latency percentiles and lost/duplicated/reordered messages.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-w", "--workload", choices=WORKLOADS, default="fanout", help="what to run (default fanout)")
    p.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="server port (default 8080)")
    p.add_argument("--also-port", type=int, action="append", default=[], metavar="PORT",
                   help="another node of the same network on --host (repeatable): clients take turns "
                   "between --port and these")
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1,
                   help="driver processes, each running many connections on one asyncio loop (default: CPU count)")
    g = p.add_argument_group("workload size (defaults depend on the workload, see below)")
    g.add_argument("-c", "--clients", type=int, help="connections (members, or clients to register)")
    g.add_argument("-s", "--senders", type=int, help="fanout/churn: how many of the clients send")
    g.add_argument("-m", "--messages", type=int, help="messages each sender sends")
    g.add_argument("-r", "--channels", type=int, help="rooms: number of channels")
    g.add_argument("--rate", type=float, help="rooms/churn: total messages per second over all senders")
    g.add_argument("--in-flight", type=int, help="connect/idle: registrations in progress at once (default 100)")
    g.add_argument("--probes", type=int, help="idle: clients measuring PING round trips")
    g.add_argument("--hold", type=float, help="idle: seconds to hold the clients open while probing")
    g.add_argument("--ping-interval", type=float, default=0.01, help="idle: pause between a probe's PINGs (s)")
    g.add_argument("--churners", type=int, help="churn: clients that keep connecting, joining and quitting")
    g.add_argument("--size", type=int, default=0, help="extra bytes of padding in each message (default 0)")
    b = p.add_argument_group("bounds and output")
    b.add_argument("--timeout", type=float, default=120.0, help="hard limit on the measured phase in s (default 120)")
    b.add_argument("--drain", type=float, default=3.0,
                   help="after sending, wait at most this long without a new delivery before counting "
                   "the rest as lost (default 3)")
    b.add_argument("--server-pid", type=int, help="PID of the server, to read its memory (children summed)")
    b.add_argument("--json", type=Path, metavar="FILE", help="write every figure and the exact parameters as JSON")
    b.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the latency distribution (needs matplotlib)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def params_from_args(args: argparse.Namespace) -> Params:
    sized = {k: v for k, v in DEFAULTS[args.workload].items()}
    for key in ("clients", "senders", "messages", "channels", "rate", "in_flight", "probes", "hold", "churners"):
        value = getattr(args, key)
        if value is not None:
            sized[key] = value
    return Params(workload=args.workload, host=args.host, port=args.port, also_ports=tuple(args.also_port),
                  procs=args.procs,
                  ping_interval=args.ping_interval, size=args.size, timeout=args.timeout, drain=args.drain,
                  server_pid=args.server_pid, **sized)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        params = params_from_args(args)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        print("chat-loadtest: --plot needs matplotlib, which is not installed.\n"
              "  install it with: pip install 'chat-irc[plot]'   (or: pip install matplotlib)\n"
              "  or run without --plot.", file=sys.stderr)
        return 2
    try:
        result = run(params, show_progress=not args.no_progress)
    except RunError as exc:
        print(f"chat-loadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chat-loadtest: interrupted", file=sys.stderr)
        return 130
    from .report import format_table, write_json

    print(format_table(result))
    if args.json is not None:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if args.plot is not None:
        from .plot import write_plot

        write_plot(result, args.plot)
        print(f"wrote {args.plot}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
