"""Latency collection: cheap per-delivery counting, percentiles from an HDR histogram."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

__all__ = ["PERCENTILES", "LatencyCounter", "decode", "new_histogram", "summary"]

# Microseconds, from 1 us to one hour, three significant digits.
LOWEST_US = 1
HIGHEST_US = 3_600_000_000
DIGITS = 3
# With three significant digits the histogram keeps 2**11 steps per power of
# two: a value of more bits is recorded with its lowest (bits - 11) bits
# dropped. Counting values already rounded that way keeps the dict small
# (a few thousand keys rather than one per microsecond of a long tail) and
# changes no percentile.
EXACT_BITS = 11
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


class LatencyCounter:
    """Counts latencies per whole microsecond on the hot path, then fills an HDR histogram.

    A dict increment costs a fraction of ``HdrHistogram.record_value``; the
    percentiles still come from the histogram, never from sorting samples.
    """

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def add_ns(self, ns: int) -> None:
        us = ns // 1000
        if us >> EXACT_BITS > 0:  # (never for a negative us, which histogram() clamps)
            drop = us.bit_length() - EXACT_BITS
            us = us >> drop << drop
        counts = self.counts
        counts[us] = counts.get(us, 0) + 1

    def histogram(self) -> HdrHistogram:
        hist = new_histogram()
        for us, n in self.counts.items():
            hist.record_value(min(max(us, LOWEST_US), HIGHEST_US), n)
        return hist

    def encoded(self) -> bytes:
        """The histogram in HdrHistogram's compressed wire form, for the parent process."""
        hist = self.histogram()
        return bytes(hist.encode()) if hist.get_total_count() else b""


def decode(blob: bytes) -> HdrHistogram:
    hist = new_histogram()
    if blob:
        hist.add(HdrHistogram.decode(blob))
    return hist


def summary(hist: HdrHistogram) -> dict[str, float | int]:
    """Count, mean, percentiles and max, in milliseconds."""
    total = hist.get_total_count()
    if not total:
        return {"count": 0}
    out: dict[str, float | int] = {"count": total, "min_ms": hist.get_min_value() / 1000,
                                   "mean_ms": round(hist.get_mean_value() / 1000, 4)}
    for p in PERCENTILES:
        out[f"p{p:g}_ms"] = hist.get_value_at_percentile(p) / 1000
    out["max_ms"] = hist.get_max_value() / 1000
    return out
