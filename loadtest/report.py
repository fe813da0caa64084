"""The results table printed at the end of a run, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .runner import RunResult
from .stats import PERCENTILES, summary

__all__ = ["format_table", "write_json"]

_LABELS = {
    "latency": "delivery latency",
    "register": "registration time",
    "ping": "PING round trip",
    "churn": "churn cycle (connect..quit)",
    "login": "SASL login (connect..903..001)",
}

_ORDER = [
    ("procs", "driver processes", ""), ("clients", "clients planned", ""), ("connected", "clients connected", ""),
    ("failures", "clients failed", ""), ("registrations_per_s", "registrations/s", ""),
    ("time_to_all_s", "time until all registered", "s"), ("messages_sent", "messages sent", ""),
    ("sent_per_s", "messages sent/s", ""), ("deliveries_expected", "deliveries expected", ""),
    ("delivered", "delivered (unique)", ""), ("deliveries_per_s", "deliveries/s", ""),
    ("lost", "LOST", ""), ("duplicated", "DUPLICATED", ""), ("reordered", "out of order", ""),
    ("duration_s", "duration (go to last delivery)", "s"), ("send_lag_max_ms", "sender lag behind schedule, max", "ms"),
    ("churn_cycles", "churn cycles", ""), ("churn_per_s", "churn cycles/s", ""),
    ("churn_failures", "churn failures", ""),
    ("logins", "SASL logins", ""), ("logins_per_s", "SASL logins/s", ""), ("login_failures", "login failures", ""),
    ("pings", "PING probes", ""), ("probe_failures", "probe failures", ""),
    ("server_rss_before_kib", "server RSS before", "KiB"), ("server_rss_loaded_kib", "server RSS loaded", "KiB"),
    ("server_rss_after_kib", "server RSS after", "KiB"), ("server_rss_peak_kib", "server RSS peak", "KiB"),
    ("server_kib_per_connection", "server memory per connection", "KiB"), ("timed_out", "timed out", ""),
]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(result: RunResult, worst: int = 10) -> str:
    """A plain-text table of the figures, the latency percentiles and any problems."""
    f = result.figures
    rows: list[tuple[str, str]] = []
    for key, label, unit in _ORDER:
        if key in f and f[key] is not None:
            rows.append((label, _fmt(f[key]) + (f" {unit}" if unit else "")))
    for name, hist in result.histograms.items():
        s = summary(hist)
        cols = [f"p{p:g} {s[f'p{p:g}_ms']:.3f}" for p in PERCENTILES] + [f"max {s['max_ms']:.3f}"]
        rows.append((_LABELS.get(name, name) + " (ms)", "  ".join(cols)))
    width = max(len(label) for label, _ in rows)
    p = result.params
    lines = [f"chat-loadtest {p.workload} against {p.host}:{p.port}", "-" * (width + 40)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    bad = [row for row in result.senders if row["lost"] or row["duplicated"] or row["reordered"]]
    if bad:
        lines += ["", f"senders with problems ({len(bad)}, worst {min(worst, len(bad))}):",
                  "  sender      sent  expected  delivered      lost  duplicated  reordered"]
        bad.sort(key=lambda r: (r["lost"], r["duplicated"], r["reordered"]), reverse=True)
        for r in bad[:worst]:
            lines.append(f"  {r['sender']:>6} {r['sent']:>9} {r['expected']:>9} {r['delivered']:>10} {r['lost']:>9}"
                         f" {r['duplicated']:>11} {r['reordered']:>10}")
    if result.problems:
        lines += ["", "problems seen:"]
        lines += [f"  {count:>8}  {what}" for what, count in sorted(result.problems.items(), key=lambda kv: -kv[1])]
    lines.append("")
    verdict = "OK, nothing lost" if result.ok else "FAILED (something was lost, duplicated or failed)"
    lines.append("result: " + verdict)
    return "\n".join(lines)


def write_json(result: RunResult, path: Path) -> None:
    path.write_text(json.dumps(result.as_json(), indent=2, sort_keys=False) + "\n")
