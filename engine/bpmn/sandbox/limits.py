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
MAX_CALL_DEPTH = 100
"""Deepest nesting of calls to functions a script defines (``def``)."""
MAX_REGEX_TEXT = 100_000
"""Longest text a regular expression may search."""
MAX_REGEX_PATTERN = 1_000
"""Longest regular expression."""


class LimitExceeded(Exception):
    """A size, time or iteration limit was hit at run time (reported with its line)."""


class LoopBudget:
    """Deadline and iteration cap of one run, checked by the tick in every loop and call.

    The cap and the deadline are checked every 64 ticks. Once either is exceeded, every
    later tick raises again at once, so no ``try`` or ``finally`` can go on looping or
    calling after a limit. ``enter`` and ``leave`` bracket every call of a function the
    script defines and bound how deep those calls nest.
    """

    __slots__ = ("count", "deadline", "deadline_s", "depth", "max_iterations", "next_check")

    def __init__(self, deadline_s: float, max_iterations: int) -> None:
        self.count = 0
        self.depth = 0
        self.next_check = 64
        self.deadline_s = deadline_s
        self.max_iterations = max_iterations
        self.deadline = time.monotonic() + deadline_s

    def tick(self) -> bool:
        self.count += 1
        if self.count >= self.next_check:
            self.check()
        return True

    def check(self) -> None:
        self.next_check = self.count + 64
        if self.count > self.max_iterations:
            self.next_check = 0
            raise LimitExceeded(
                f"more than {self.max_iterations} loop iterations and function calls"
            )
        if time.monotonic() > self.deadline:
            self.next_check = 0
            raise LimitExceeded(f"ran longer than {self.deadline_s:g} s")

    def enter(self) -> None:
        self.tick()
        if self.depth >= MAX_CALL_DEPTH:
            raise LimitExceeded(
                f"functions nested more than {MAX_CALL_DEPTH} calls deep (endless recursion?)"
            )
        self.depth += 1

    def leave(self) -> None:
        self.depth -= 1
