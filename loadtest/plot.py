"""The latency distribution as a PNG (needs the optional matplotlib extra)."""

from __future__ import annotations

from pathlib import Path

from .runner import RunResult

__all__ = ["MissingMatplotlib", "write_plot"]


class MissingMatplotlib(Exception):
    """matplotlib is not installed."""


def write_plot(result: RunResult, path: Path) -> None:
    """Draw each latency histogram as a percentile curve (log-scaled tail), HdrHistogram style."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingMatplotlib(
            "--plot needs matplotlib, which is not installed: pip install 'chat-irc[plot]' (or pip install matplotlib)"
        ) from exc
    fig, ax = plt.subplots(figsize=(9, 5))
    drawn = False
    for name, hist in result.histograms.items():
        xs: list[float] = []
        ys: list[float] = []
        for item in hist.get_percentile_iterator(5):
            pct = min(item.percentile_level_iterated_to, 99.9999)
            xs.append(1.0 / (1.0 - pct / 100.0))
            ys.append(item.value_iterated_to / 1000.0)
        if xs:
            ax.plot(xs, ys, label=f"{name} ({hist.get_total_count():,} samples)")
            drawn = True
    ax.set_xscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000, 100000, 1000000]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["0%", "50%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"])
    ax.set_xlabel("percentile")
    ax.set_ylabel("milliseconds")
    p = result.params
    ax.set_title(f"chat-loadtest {p.workload}: clients={p.clients} against {p.host}:{p.port}")
    ax.grid(True, which="both", alpha=0.3)
    if drawn:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
