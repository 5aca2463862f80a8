"""Bounded waits for tests: every loop that waits for something has a limit and says what
it was waiting for when the limit is reached."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import pytest

T = TypeVar("T")


def tries(limit: int, what: str) -> Iterator[int]:
    """``range(limit)`` that fails the test, naming ``what``, if the loop never breaks out.

    for _ in tries(20, "the chat to end"):
        if view["status"] != "waiting":
            break
        view = said(...)
    """
    yield from range(limit)
    pytest.fail(f"gave up waiting for {what} after {limit} tries")


def wait_until(
    check: Callable[[], T],
    what: str,
    *,
    timeout: float = 10.0,
    every: float = 0.05,
    explain: Callable[[], str] | None = None,
) -> T:
    """Call ``check`` until it returns something true; return that, or fail after ``timeout``
    (with what ``explain`` says, e.g. a subprocess's output)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            details = f":\n{explain()}" if explain is not None else ""
            pytest.fail(f"gave up waiting for {what} after {timeout:g} s{details}")
        time.sleep(every)


def join_all(threads: Iterable[threading.Thread], what: str, *, timeout: float = 30.0) -> None:
    """Join the threads within ``timeout`` seconds in all, or fail naming those still running."""
    deadline = time.monotonic() + timeout
    threads = list(threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = [t.name for t in threads if t.is_alive()]
    if running:
        pytest.fail(
            f"{what}: {len(running)} thread(s) still running after {timeout:g} s: {running}"
        )
