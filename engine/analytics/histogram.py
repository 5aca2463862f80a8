"""Step times as a histogram that adds up: fixed log-scale slots, so the rollup's hours and
the live rows past it merge by adding counts, and p50 / p90 are read from the sum.

Slot 0 holds times under ``SMALLEST`` seconds; slot k (k >= 1) holds
[SMALLEST * RATIO**(k-1), SMALLEST * RATIO**k). With RATIO = 2**(1/4) a slot is about 19%
wide, so a quantile read from the counts is within about 10% of the exact value (the
point inside a slot is interpolated on the log scale). The last slot takes everything
longer (about 40 days and up). Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

SMALLEST = 0.01  # seconds
RATIO = 2**0.25
LAST_SLOT = 120  # SMALLEST * RATIO**119 is about 9.5e6 s (110 days)


def slot_of(seconds: float) -> int:
    """The slot a time falls in (a negative time, from a clock step back, counts as 0)."""
    if seconds < SMALLEST:
        return 0
    k = 1 + math.floor(math.log(seconds / SMALLEST, RATIO) + 1e-9)
    return min(max(k, 1), LAST_SLOT)


def slot_bounds(slot: int) -> tuple[float, float]:
    """The lower and upper edge of a slot, in seconds."""
    if slot <= 0:
        return 0.0, SMALLEST
    return SMALLEST * RATIO ** (slot - 1), SMALLEST * RATIO**slot


def merged(*histograms: Mapping[int, int]) -> Counter[int]:
    """Counts per slot added up."""
    total: Counter[int] = Counter()
    for h in histograms:
        for slot, count in h.items():
            total[int(slot)] += int(count)
    return total


def of_times(seconds: Iterable[float]) -> Counter[int]:
    """A histogram of raw times."""
    return Counter(slot_of(s) for s in seconds)


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) read from slot counts, rounded to milliseconds; None when empty.

    The rank is placed as PostgreSQL's percentile_cont places it ((n - 1) * q); inside its
    slot the value is interpolated geometrically between the slot's edges (linearly in
    slot 0), each of the slot's c values taken at the middle of its 1/c share."""
    slots = sorted((s, c) for s, c in histogram.items() if c > 0)
    n = sum(c for _, c in slots)
    if n == 0:
        return None
    rank = (n - 1) * q
    seen = 0
    for slot, count in slots:
        if rank < seen + count or slot == slots[-1][0]:
            share = min(max((rank - seen + 0.5) / count, 0.0), 1.0)
            low, high = slot_bounds(slot)
            value = low + (high - low) * share if slot == 0 else low * (high / low) ** share
            return round(value, 3)
        seen += count
    return None  # not reached: the last slot answers
