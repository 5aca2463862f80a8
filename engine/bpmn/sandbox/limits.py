"""Limits of one run: sizes, iterations, the deadline, and the error raised when one is hit."""

from __future__ import annotations

import time

MAX_LENGTH = 1_000_000
"""Longest text or sequence an operator may build (characters or items)."""
MAX_INT_BITS = 16_384
"""Largest integer an operator may build, in bits (about 4,900 decimal digits)."""
MAX_RANGE = 100_000
"""Longest ``range()``."""
MAX_ITERATIONS = 1_000_000
"""Loop and comprehension iterations allowed in one run."""
MAX_DATA_VALUES = 1_000_000
"""Values (counting shared ones once per reference) task data may hold after a script."""
MAX_DATA_DEPTH = 100
"""Deepest nesting task data may have after a script."""
MAX_ROUND_DIGITS = 100
"""Most digits ``round()`` may round to."""
MAX_SPEC_DIGITS = 3
"""Most digits of a width or precision in an f-string's format specification."""
MAX_SPEC_LENGTH = 100
"""Longest format specification in an f-string."""


class LimitExceeded(Exception):
    """A size, time or iteration limit was hit at run time (reported with its line)."""


class LoopBudget:
    """Deadline and iteration cap of one run, checked by the tick in every loop."""

    __slots__ = ("count", "deadline", "deadline_s", "max_iterations")

    def __init__(self, deadline_s: float, max_iterations: int) -> None:
        self.count = 0
        self.deadline_s = deadline_s
        self.max_iterations = max_iterations
        self.deadline = time.monotonic() + deadline_s

    def tick(self) -> bool:
        self.count += 1
        if self.count & 63 == 0:
            if self.count > self.max_iterations:
                raise LimitExceeded(f"more than {self.max_iterations} loop iterations")
            if time.monotonic() > self.deadline:
                raise LimitExceeded(f"ran longer than {self.deadline_s:g} s")
        return True
