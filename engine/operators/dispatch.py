"""Assignment off the request's path: a queue change tells the dispatcher the group, and a
thread of this process offers the group's items.

A step that hands a session off, or a ticket whose work item opens, only adds the group to
a set after its commit (``UnitOfWork.entered_queue`` -> ``Database.on_queued``); the thread
wakes, runs ``assign_group`` and sleeps again. So the step's own time never includes
assignment, and a burst of queue changes to one group costs one pass. A group whose pass
met operators locked by another server is tried again after ``retry_s``. The thread is
started on first use in each process (after gunicorn forks), and a failing pass is logged
and forgotten: ``cuebook worker``'s pass offers whatever is left.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from engine.operators.assignment import Outcome

log = logging.getLogger("cuebook.operators")

RETRY_S = 0.02
MOST_RETRIES = 50


class Dispatcher:
    """Groups to assign, and the thread that assigns them."""

    def __init__(self, assign: Callable[[str], Any], *, retry_s: float = RETRY_S) -> None:
        self._assign = assign
        self._retry_s = retry_s
        self._lock = threading.Condition()
        self._pending: set[str] = set()
        self._retries: dict[str, int] = {}
        self._pid: int | None = None
        self._busy = False

    def notify(self, groups: set[str]) -> None:
        with self._lock:
            self._pending |= groups
            self._start()
            self._lock.notify()

    def idle(self) -> bool:
        """Nothing waiting and no pass running (tests and benchmarks wait for this)."""
        with self._lock:
            return not self._pending and not self._busy

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        thread = threading.Thread(target=self._run, name="cuebook-assignment", daemon=True)
        thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._busy = False
                    self._lock.wait()
                groups, self._pending = self._pending, set()
                self._busy = True
            again = {group for group in sorted(groups) if self._pass(group)}
            if again:
                threading.Event().wait(self._retry_s)
                with self._lock:
                    self._pending |= again

    def _pass(self, group: str) -> bool:
        """Assign ``group``; True when it should be tried again (met a lock)."""
        try:
            _made, outcome = self._assign(group)
        except Exception as exc:  # the worker's pass offers what this one could not
            log.warning("assignment of group %s failed: %s", group, exc)
            return False
        if outcome is Outcome.CONTENDED:
            tries = self._retries.get(group, 0) + 1
            self._retries[group] = tries
            return tries <= MOST_RETRIES
        self._retries.pop(group, None)
        return False
