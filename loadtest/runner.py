"""The parent process: starts the drivers, steps them through the phases, merges what they measured."""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from .control import FIELDS, Control, WorkerResult
from .driver import driver_main
from .memory import tree_rss_kib
from .params import Params, Plan
from .progress import Progress
from .stats import decode, new_histogram, summary
from .tracker import SenderTally

__all__ = ["RunError", "RunResult", "run"]

_GRACE = 45.0


class RunError(Exception):
    """The run itself failed (a driver crashed or hung), as opposed to measuring a bad server."""


@dataclass
class RunResult:
    """Every figure of one run, the exact parameters, and the latency histograms."""

    params: Params
    figures: dict[str, Any]
    senders: list[dict[str, int]]
    histograms: dict[str, HdrHistogram]
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return int(self.figures.get("lost", 0)) + int(self.figures.get("failures", 0))

    @property
    def ok(self) -> bool:
        """Nothing lost, duplicated or failed, and the run finished in time."""
        f = self.figures
        return not (self.lost or f.get("duplicated") or f.get("timed_out") or f.get("probe_failures"))

    def as_json(self) -> dict[str, Any]:
        return {
            "params": self.params.as_dict(),
            "figures": self.figures,
            "latency": {name: summary(h) for name, h in self.histograms.items()},
            "senders": self.senders,
            "problems": self.problems,
            "ok": self.ok,
        }


class _Parent:
    """Drives the phase protocol: ready -> go -> (connected -> phase2) -> sent -> stop -> result."""

    def __init__(self, params: Params, show_progress: bool) -> None:
        self.params = params
        self.plan = Plan(params)
        self.n = self.plan.procs
        ctx = mp.get_context("spawn")
        self.ctl = Control(ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Event(), ctx.Value("q", 0, lock=False),
                           ctx.Array("q", self.n * len(FIELDS), lock=False))
        self.procs = [ctx.Process(target=driver_main, args=(params, w, self.ctl), daemon=True, name=f"loadtest-{w}")
                      for w in range(self.n)]
        self.seen: dict[str, set[int]] = {"ready": set(), "connected": set(), "chatted": set(), "sent": set()}
        self.results: dict[int, WorkerResult] = {}
        self.expected = 0
        self.figures: dict[str, Any] = {}
        self.progress = Progress(params, show_progress)
        self.go_at = 0.0
        self.sent_at = 0.0
        self.last_change = 0.0
        self.last_received = -1
        self.timed_out = False
        self.rss_peak = 0
        self.next_rss = 0.0

    def total(self, name: str) -> int:
        i = FIELDS.index(name)
        arr = self.ctl.progress
        return sum(int(arr[w * len(FIELDS) + i]) for w in range(self.n))

    def rss(self) -> int | None:
        pid = self.params.server_pid
        if pid is None:
            return None
        value = tree_rss_kib(pid)
        if value is not None:
            self.rss_peak = max(self.rss_peak, value)
        return value

    def run(self) -> list[WorkerResult]:
        for proc in self.procs:
            proc.start()
        hard_deadline = time.monotonic() + self.params.timeout + 2 * _GRACE
        try:
            while len(self.results) < self.n:
                self.step()
                if time.monotonic() > hard_deadline:
                    raise RunError("driver processes did not finish; stopped them")
        finally:
            self.progress.update(self.total("connected"), self.total("sent"), self.total("received"),
                                 self.total("failed"), force=True)
            self.progress.close()
            for proc in self.procs:
                proc.join(5)
                if proc.is_alive():
                    proc.terminate()
                    proc.join(5)
        errors = [r.error for r in self.results.values() if r.error]
        if errors:
            raise RunError("a driver process failed:\n" + errors[0])
        return [self.results[w] for w in sorted(self.results)]

    def step(self) -> None:
        ctl = self.ctl
        try:
            kind, worker, payload = ctl.events.get(timeout=0.05)  # type: ignore[attr-defined]
        except queue.Empty:
            pass
        else:
            if kind == "result":
                self.results[worker] = payload
            else:
                self.seen[kind].add(worker)
                if kind == "ready":
                    self.expected += int(payload)
        now = time.monotonic()
        for w, proc in enumerate(self.procs):
            if not proc.is_alive() and w not in self.results and proc.exitcode not in (None, 0):
                raise RunError(f"driver process {w} died with exit code {proc.exitcode}")
        if self.params.server_pid is not None and now >= self.next_rss:
            self.rss()
            self.next_rss = now + 0.5
        self.progress.update(self.total("connected"), self.total("sent"), self.total("received"), self.total("failed"))
        if not ctl.go.is_set():
            if len(self.seen["ready"]) == self.n:
                self.figures["server_rss_before_kib"] = self.rss()
                ctl.start_ns.value = time.monotonic_ns()
                ctl.go.set()
                self.go_at = self.last_change = now
                self.progress.start(self.expected)
            return
        if ctl.stop.is_set():
            return
        if self.params.workload == "idle" and not ctl.phase2.is_set() and len(self.seen["connected"]) == self.n:
            time.sleep(0.5)
            self.figures["server_rss_loaded_kib"] = self.rss()
            ctl.phase2.set()
        if self.params.workload == "churn" and len(self.seen["chatted"]) == self.n:
            ctl.phase2.set()
        received = self.total("received")
        if received != self.last_received:
            self.last_received, self.last_change = received, now
        if len(self.seen["sent"]) == self.n:
            self.sent_at = self.sent_at or now
            quiet = now - max(self.last_change, self.sent_at)
            if received >= self.expected or quiet > self.params.drain:
                self.stop()
        if now > self.go_at + self.params.timeout:
            self.timed_out = True
            self.stop()

    def stop(self) -> None:
        self.figures["server_rss_after_kib"] = self.rss()
        if self.params.server_pid is not None:
            self.figures["server_rss_peak_kib"] = self.rss_peak
        self.ctl.stop.set()


def run(params: Params, show_progress: bool = True) -> RunResult:
    """Run one workload to the end and return its figures (raises RunError if the tester broke)."""
    parent = _Parent(params, show_progress)
    results = parent.run()
    return _merge(parent, results)


def _merge(parent: _Parent, results: list[WorkerResult]) -> RunResult:
    params, plan = parent.params, parent.plan
    start_ns = int(parent.ctl.start_ns.value)
    hists = {name: new_histogram() for name in ("latency", "register", "ping", "churn", "login")}
    sent: dict[int, int] = {}
    tallies: dict[int, SenderTally] = {}
    problems: dict[str, int] = {}
    failed: set[int] = set()
    for r in results:
        for name in hists:
            hists[name].add(decode(getattr(r, name)))
        for k, v in r.sent.items():
            sent[k] = sent.get(k, 0) + v
        for k, t in r.tallies.items():
            tallies.setdefault(k, SenderTally()).add(t)
        for what, count in r.problems.items():
            problems[what] = problems.get(what, 0) + count
        failed.update(r.failed)
    f = parent.figures
    f.update({"procs": parent.n, "clients": params.clients, "connected": sum(r.connected for r in results),
              "failures": len(failed), "timed_out": parent.timed_out})
    last_send = max((r.last_send_ns for r in results), default=0)
    if plan.joins():
        live = list(plan.members_per_channel)
        for c in failed:
            live[plan.channel_index(c)] -= 1
        rows = []
        for s in sorted(c for c in range(params.clients) if plan.is_sender(c) and c not in failed):
            n = sent.get(s, 0)
            t = tallies.get(s, SenderTally())
            expected = n * (live[plan.channel_index(s)] - 1)
            rows.append({"sender": s, "sent": n, "expected": expected, "delivered": t.unique,
                         "lost": max(0, expected - t.unique), "duplicated": t.duplicated, "reordered": t.reordered})
        delivered = sum(row["delivered"] for row in rows)
        last = max((r.last_delivery_ns for r in results), default=0)
        span = (last - start_ns) / 1e9 if last > start_ns else 0.0
        send_span = (last_send - start_ns) / 1e9 if last_send > start_ns else 0.0
        f.update({
            "messages_sent": sum(row["sent"] for row in rows),
            "deliveries_expected": sum(row["expected"] for row in rows),
            "delivered": delivered,
            "lost": sum(row["lost"] for row in rows),
            "duplicated": sum(row["duplicated"] for row in rows),
            "reordered": sum(row["reordered"] for row in rows),
            "duration_s": round(span, 3),
            "deliveries_per_s": round(delivered / span) if span else 0,
            "sent_per_s": round(sum(row["sent"] for row in rows) / send_span) if send_span else 0,
        })
        if params.workload in ("rooms", "churn", "login"):
            f["send_lag_max_ms"] = max(r.send_lag_max_ns for r in results) / 1e6
    else:
        rows = []
    if params.workload in ("connect", "idle"):
        last_reg = max((r.last_registered_ns for r in results), default=0)
        span = (last_reg - start_ns) / 1e9 if last_reg > start_ns else 0.0
        f.update({"registered": f["connected"], "time_to_all_s": round(span, 3),
                  "registrations_per_s": round(f["connected"] / span) if span else 0})
    if params.workload == "idle":
        before, loaded = f.get("server_rss_before_kib"), f.get("server_rss_loaded_kib")
        if before is not None and loaded is not None and f["connected"]:
            f["server_kib_per_connection"] = round((loaded - before) / f["connected"], 3)
        f["pings"] = sent.get(-1, 0)
        f["probe_failures"] = sum(v for k, v in problems.items() if k.startswith("probe:"))
    if params.workload == "churn":
        cycles = sum(r.churn_cycles for r in results)
        f.update({"churn_cycles": cycles, "churn_failures": sum(r.churn_failures for r in results),
                  "churn_per_s": round(cycles / f["duration_s"], 1) if f.get("duration_s") else 0})
    if params.workload == "login":
        logins = sum(r.logins for r in results)
        first = min((r.first_login_ns for r in results if r.first_login_ns), default=0)
        last = max((r.last_login_ns for r in results), default=0)
        f.update({"logins": logins, "login_failures": sum(r.login_failures for r in results),
                  "logins_per_s": round(logins / ((last - first) / 1e9), 1) if last > first else 0})
    f["other_lines"] = sum(r.other_lines for r in results)
    histograms = {name: h for name, h in hists.items() if h.get_total_count()}
    return RunResult(params, f, rows, histograms, problems)
