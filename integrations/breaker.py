"""A circuit breaker per integration function.

closed --(threshold consecutive failures)--> open --(reset_s)--> half-open: one trial call
goes through; its success closes the breaker, its failure opens it again. While open, and
while the trial is in flight, calls fail fast. A threshold of 0 turns the breaker off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

STATE_CODES = {CLOSED: 0, OPEN: 1, HALF_OPEN: 2}


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int,
        reset_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False

    @property
    def state(self) -> str:
        """The state a call arriving now would see."""
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_s:
                return HALF_OPEN
            return self._state

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through."""
        with self._lock:
            if self._state != OPEN:
                return 0.0
            return max(0.0, self.reset_s - (self._clock() - self._opened_at))

    def _set(self, state: str) -> None:
        if state != self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

    def allow(self) -> bool:
        """Whether a call may go out now (a half-open breaker admits one trial)."""
        if self.failure_threshold <= 0:
            return True
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self._clock() - self._opened_at < self.reset_s:
                    return False
                self._set(HALF_OPEN)
            if self._trial:
                return False
            self._trial = True
            return True

    def record_success(self) -> None:
        if self.failure_threshold <= 0:
            return
        with self._lock:
            self._failures = 0
            self._trial = False
            self._set(CLOSED)

    def record_failure(self) -> None:
        if self.failure_threshold <= 0:
            return
        with self._lock:
            self._trial = False
            if self._state == HALF_OPEN:
                self._opened_at = self._clock()
                self._set(OPEN)
                return
            self._failures += 1
            if self._state == CLOSED and self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                self._set(OPEN)

    def release(self) -> None:
        """End a call whose outcome says nothing about the remote side (a refused host)."""
        if self.failure_threshold <= 0:
            return
        with self._lock:
            self._trial = False
