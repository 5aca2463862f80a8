"""Step times as a log-scale histogram: slots, merging, quantiles read from counts."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from engine.analytics.figures import percentile
from engine.analytics.histogram import (
    LAST_SLOT,
    SMALLEST,
    merged,
    of_times,
    quantile,
    slot_bounds,
    slot_of,
)


def test_each_time_falls_inside_its_slot() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        seconds = 10 ** rng.uniform(-3, 6)
        low, high = slot_bounds(slot_of(seconds))
        assert low <= seconds * (1 + 1e-9) and seconds < high * (1 + 1e-9), seconds


def test_edges_zero_negative_and_huge() -> None:
    assert slot_of(0) == 0
    assert slot_of(-5) == 0  # a clock stepped back counts as no time
    assert slot_of(SMALLEST) == 1
    assert slot_of(1e12) == LAST_SLOT
    assert quantile({}, 0.5) is None
    assert quantile({3: 0}, 0.5) is None


@pytest.mark.parametrize("q", [0.5, 0.9])
def test_quantile_within_a_slot_of_the_exact_one(q: float) -> None:
    rng = random.Random(11)
    times = [rng.lognormvariate(3, 1.2) for _ in range(5000)]
    exact = percentile(sorted(times), q)
    assert exact is not None
    got = quantile(of_times(times), q)
    assert got is not None
    assert abs(got - exact) / exact < 0.1, (got, exact)


def test_merging_parts_equals_the_histogram_of_all() -> None:
    rng = random.Random(3)
    times = [rng.expovariate(1 / 40) for _ in range(3000)]
    parts = [of_times(times[i : i + 700]) for i in range(0, len(times), 700)]
    whole = of_times(times)
    assert merged(*parts) == whole
    for q in (0.1, 0.5, 0.9, 0.99):
        assert quantile(merged(*parts), q) == quantile(whole, q)


def test_one_value_and_two_slots() -> None:
    one = of_times([42.0])
    low, high = slot_bounds(slot_of(42.0))
    assert low <= quantile(one, 0.5) <= high  # type: ignore[operator]
    two = Counter({slot_of(1.0): 1, slot_of(100.0): 1})
    assert quantile(two, 0.0) < 1.2  # type: ignore[operator]
    assert quantile(two, 1.0) > 85  # type: ignore[operator]
