"""The circuit breaker's states, driven by a hand-moved clock."""

from __future__ import annotations

from integrations.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(threshold: int = 3, reset_s: float = 10.0) -> tuple[CircuitBreaker, Clock, list[str]]:
    clock = Clock()
    changes: list[str] = []
    return CircuitBreaker(threshold, reset_s, clock=clock, on_change=changes.append), clock, changes


def test_opens_after_consecutive_failures_only() -> None:
    breaker, _clock, changes = make()
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN
    assert not breaker.allow()
    assert changes == [OPEN]


def test_half_open_admits_one_trial_and_closes_on_success() -> None:
    breaker, clock, changes = make(threshold=1)
    breaker.record_failure()
    clock.now += 5
    assert not breaker.allow()
    assert breaker.retry_in() == 5
    clock.now += 5
    assert breaker.state == HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow()
    assert changes == [OPEN, HALF_OPEN, CLOSED]


def test_failed_trial_opens_again_for_a_full_period() -> None:
    breaker, clock, _changes = make(threshold=1)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_released_trial_lets_the_next_call_try() -> None:
    breaker, clock, _changes = make(threshold=1)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.release()
    assert breaker.state == HALF_OPEN
    assert breaker.allow()


def test_threshold_zero_turns_it_off() -> None:
    breaker, _clock, changes = make(threshold=0)
    for _ in range(10):
        breaker.record_failure()
    assert breaker.allow() and breaker.state == CLOSED and changes == []
