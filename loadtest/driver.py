"""A driver process: many connections on one asyncio loop, running its share of a workload."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from server.protocol import Message

from .conn import Client, ConnectionLost, Shared, open_client
from .control import FIELDS, Control, WorkerResult, wait_event
from .params import Params, Plan
from .payload import make_text
from .stats import LatencyCounter
from .tracker import ReceiverLog, SenderTally

__all__ = ["Driver", "driver_main"]

_SETUP_TIMEOUT = 30.0
_BURST = 16


def driver_main(params: Params, worker: int, ctl: Control) -> None:
    """Entry point of one driver process."""
    # Ctrl-C reaches the whole process group; the parent reports it.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Driver(params, worker, ctl).main())


def _share(total: int, worker: int, procs: int) -> int:
    """Worker's part when total is split as evenly as possible over procs."""
    return total // procs + (1 if worker < total % procs else 0)


class Driver:
    """Runs one process's clients through setup, the workload and shutdown."""

    def __init__(self, params: Params, worker: int, ctl: Control) -> None:
        self.params = params
        self.plan = Plan(params)
        self.worker = worker
        self.ctl = ctl
        self.mine = list(self.plan.clients_of(worker))
        self.shared = Shared()
        self.tallies: dict[int, SenderTally] = {}
        self.clients: dict[int, Client] = {}
        self.extra: list[Client] = []  # probes and churners
        self.result = WorkerResult(worker, clients=len(self.mine))
        self.deadline = time.monotonic() + params.timeout + _SETUP_TIMEOUT
        self.in_flight = max(1, _share(params.in_flight, worker, self.plan.procs))
        self.registered = LatencyCounter()
        self.pings = LatencyCounter()
        self.churn = LatencyCounter()

    # plumbing

    def report(self, kind: str, payload: object = None) -> None:
        self.ctl.events.put((kind, self.worker, payload))

    async def _progress(self) -> None:
        base = self.worker * len(FIELDS)
        arr = self.ctl.progress
        while True:
            arr[base] = self.result.connected
            arr[base + 1] = sum(self.result.sent.values())
            arr[base + 2] = sum(t.unique for t in self.tallies.values()) if self.plan.joins() else self.shared.received
            arr[base + 3] = len(self.result.failed)
            await asyncio.sleep(0.05)

    async def bounded(self, jobs: Iterable[Callable[[], Awaitable[None]]], limit: int) -> None:
        """Run jobs with at most limit in flight."""
        sem = asyncio.Semaphore(limit)

        async def one(job: Callable[[], Awaitable[None]]) -> None:
            async with sem:
                await job()

        await asyncio.gather(*(one(job) for job in jobs))

    async def connect(self, index: int, join: bool, timeout: float) -> None:
        """Connect, register and (if the workload has channels) join; failures are counted."""
        p = self.params
        log = ReceiverLog(self.tallies) if self.plan.joins() else None
        start = time.monotonic_ns()
        client: Client | None = None
        stage = "connecting"
        try:
            async with asyncio.timeout(timeout):
                client = await open_client(p.host, p.port_for(index), self.plan.nick(index), self.shared, log)
                stage = "registering"
                await client.register()
                now = time.monotonic_ns()
                self.registered.add_ns(now - start)
                self.result.last_registered_ns = max(self.result.last_registered_ns, now)
                if join:
                    stage = "joining"
                    await client.join(self.plan.channel(self.plan.channel_index(index)))
        except (ConnectionLost, TimeoutError) as exc:
            self.result.failed.append(index)
            self.shared.problems[f"{stage}: {_reason(exc)}"] += 1
            if client is not None:
                client.abort()
            return
        self.clients[index] = client
        self.result.connected += 1

    async def close_all(self) -> None:
        everyone = [*self.clients.values(), *self.extra]
        for client in everyone:
            client.quitting = True
            if client.transport is not None and not client.closed.done():
                client.send(Message("QUIT", ("load test done",)).to_bytes())
                client.transport.close()
        pending = [c.closed for c in everyone if not c.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=3.0)
        for client in everyone:
            if not client.closed.done():
                client.abort()

    # the run

    async def main(self) -> None:
        progress = asyncio.create_task(self._progress())
        try:
            await self.setup()
            self.report("ready", sum(self.plan.expected_for(c) for c in self.clients))
            if not await wait_event(self.ctl.go, self.deadline):
                raise TimeoutError("the parent never said go")
            self.deadline = time.monotonic() + self.params.timeout
            await self.body()
            self.report("sent")
            await wait_event(self.ctl.stop, self.deadline + _SETUP_TIMEOUT)
        except Exception as exc:  # reported to the parent, which fails the run
            self.result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        finally:
            progress.cancel()
            try:
                await self.close_all()
            finally:
                self.finish()

    def finish(self) -> None:
        r = self.result
        s = self.shared
        r.tallies = self.tallies
        r.latency = s.latency.encoded()
        r.register = self.registered.encoded()
        r.ping = self.pings.encoded()
        r.churn = self.churn.encoded()
        r.received = s.received
        r.other_lines = s.other_lines
        r.problems = dict(s.problems)
        r.last_delivery_ns = s.last_delivery_ns
        self.report("result", r)

    async def setup(self) -> None:
        p = self.params
        if self.plan.joins():
            timeout = min(p.timeout, _SETUP_TIMEOUT)
            await self.bounded([partial(self.connect, c, True, timeout) for c in self.mine], self.in_flight)
        elif p.workload == "idle":
            probes = range(self.worker, p.probes, self.plan.procs)
            await asyncio.gather(*(self.open_probe(j) for j in probes))

    async def body(self) -> None:
        w = self.params.workload
        if w == "fanout":
            await asyncio.gather(*(self.flood(c) for c in self.clients if self.plan.is_sender(c)))
        elif w == "rooms":
            await self.paced(self.clients)
        elif w == "churn":
            senders = [c for c in self.clients if self.plan.is_sender(c)]
            churners = [self.churner(j) for j in range(self.worker, self.params.churners, self.plan.procs)]

            async def chat() -> None:
                await self.paced(senders)
                self.report("chatted")

            await asyncio.gather(chat(), *churners)
        elif w == "connect":
            await self.storm()
        elif w == "idle":
            await self.storm()
            self.report("connected")
            if await wait_event(self.ctl.phase2, self.deadline):
                await asyncio.gather(*(self.probe(client) for client in self.extra))

    # workloads

    def _message(self, client: int, seq: int) -> bytes:
        text = make_text(client, seq, time.monotonic_ns(), self.params.size)
        return Message("PRIVMSG", (self.plan.channel(self.plan.channel_index(client)), text)).to_bytes()

    def _count_sent(self, client: int, n: int) -> None:
        now = time.monotonic_ns()
        r = self.result
        r.sent[client] = r.sent.get(client, 0) + n
        r.first_send_ns = r.first_send_ns or now
        r.last_send_ns = now

    async def flood(self, index: int) -> None:
        """fanout: send M messages as fast as the server takes them (flow control decides)."""
        client = self.clients[index]
        total = self.params.messages
        seq = 0
        try:
            while seq < total and time.monotonic() < self.deadline:
                await client.writable()
                n = min(_BURST, total - seq)
                client.send(b"".join(self._message(index, seq + k) for k in range(n)))
                self._count_sent(index, n)
                seq += n
                await asyncio.sleep(0)
        except ConnectionLost as exc:
            self.shared.problems[_reason(exc)] += 1

    async def paced(self, senders: Iterable[int]) -> None:
        """rooms and churn: every sender's M messages on one global schedule at the total --rate."""
        p = self.params
        ordered = sorted(senders)
        if not ordered or p.messages == 0:
            return
        n_senders = p.clients if p.workload == "rooms" else p.senders
        rate = p.rate if p.rate > 0 else 1000.0
        start = self.ctl.start_ns.value
        for seq in range(p.messages):
            for index in ordered:
                due = start + int((seq * n_senders + index) / rate * 1e9)
                delay = due - time.monotonic_ns()
                if delay > 0:
                    await asyncio.sleep(delay / 1e9)
                if time.monotonic() >= self.deadline:
                    return
                lag = time.monotonic_ns() - due
                self.result.send_lag_max_ns = max(self.result.send_lag_max_ns, lag)
                client = self.clients[index]
                if client.closed.done():
                    continue
                client.send(self._message(index, seq))
                self._count_sent(index, 1)

    async def storm(self) -> None:
        """connect and idle: N clients connect and register, in_flight at a time."""
        timeout = min(self.params.timeout, _SETUP_TIMEOUT)
        await self.bounded([partial(self.connect, c, False, timeout) for c in self.mine], self.in_flight)

    async def open_probe(self, j: int) -> None:
        p = self.params
        client: Client | None = None
        try:
            async with asyncio.timeout(min(p.timeout, _SETUP_TIMEOUT)):
                client = await open_client(p.host, p.port_for(j), f"lt{p.run_id}p{j}", Shared(), None)
                await client.register()
        except (ConnectionLost, TimeoutError) as exc:
            self.shared.problems["probe: " + _reason(exc)] += 1
            if client is not None:
                client.abort()
            return
        self.extra.append(client)

    async def probe(self, client: Client) -> None:
        """idle: PING round trips, one outstanding at a time, for --hold seconds."""
        p = self.params
        end = min(time.monotonic() + p.hold, self.deadline)
        n = 0
        while time.monotonic() < end:
            try:
                async with asyncio.timeout(max(0.1, end - time.monotonic()) + 5.0):
                    self.pings.add_ns(await client.ping(f"lt{n}"))
            except (ConnectionLost, TimeoutError) as exc:
                self.shared.problems["probe: " + _reason(exc)] += 1
                return
            self._count_sent(-1, 1)
            n += 1
            await asyncio.sleep(p.ping_interval)

    async def churner(self, j: int) -> None:
        """churn: connect, register, join the big channel and quit, over and over."""
        p = self.params
        channel = self.plan.channel(0)
        shared = Shared()
        cycle = 0
        while not self.ctl.phase2.is_set() and time.monotonic() < self.deadline:
            start = time.monotonic_ns()
            client: Client | None = None
            try:
                async with asyncio.timeout(_SETUP_TIMEOUT):
                    client = await open_client(p.host, p.port_for(j), f"lt{p.run_id}c{j}n{cycle}", shared, None)
                    await client.register()
                    await client.join(channel)
                    await client.quit("churn")
                self.churn.add_ns(time.monotonic_ns() - start)
                self.result.churn_cycles += 1
            except (ConnectionLost, TimeoutError) as exc:
                self.result.churn_failures += 1
                self.shared.problems["churn: " + _reason(exc)] += 1
                if client is not None:
                    client.abort()
                await asyncio.sleep(0.05)
            cycle += 1


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text
