"""The ``cuebook worker`` loop: fire due timers and relay the outbox, pass after pass.

The loop knows nothing of the command line or of Kafka: the composition root hands it the
database, the engine (whose clock decides which timers are due), a ``Publisher`` (or None
when no broker is configured), a clock for marking events published and a stop event.
A stop is honoured between passes: the pass in progress finishes (each timer and each relay
batch is its own transaction, so nothing is left half done) and the wait between passes
ends at once, because the loop sleeps in ``stop.wait(interval)``.

Several workers may run against one database: timers and outbox rows are taken with
``FOR UPDATE SKIP LOCKED``, so each is handled by one worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from engine.persistence.database import Database
from engine.relay import Publisher, drain_outbox
from engine.sessions import Engine
from engine.timers import fire_due_timers

log = logging.getLogger("cuebook.worker")


@dataclass(frozen=True)
class PassResult:
    """What one pass did: timers fired and events relayed."""

    fired: int = 0
    relayed: int = 0


@dataclass
class Worker:
    """One worker process's loop. ``say`` and ``warn`` report progress and failures."""

    database: Database
    engine: Engine
    publisher: Publisher | None
    clock: Callable[[], datetime]
    interval: float = 1.0
    timers_per_pass: int = 100
    relay_batch: int = 500
    relay_batches_per_pass: int = 20
    say: Callable[[str], None] = field(default=log.info)
    warn: Callable[[str], None] = field(default=log.warning)

    def run(self, stop: threading.Event, *, once: bool = False) -> int:
        """Run passes until ``stop`` is set (or one pass with ``once``); return the count."""
        passes = 0
        while not stop.is_set():
            self.run_pass()
            passes += 1
            if once:
                break
            stop.wait(self.interval)
        return passes

    def run_pass(self) -> PassResult:
        """Fire due timers, then relay the outbox; a failing part never stops the worker."""
        result = PassResult(self._fire_timers(), self._relay())
        if result.fired:
            self.say(f"fired {result.fired} timer(s)")
        if result.relayed:
            self.say(f"relayed {result.relayed} event(s) to Kafka")
        return result

    def _fire_timers(self) -> int:
        try:
            return fire_due_timers(self.database, self.engine, limit=self.timers_per_pass)
        except Exception as exc:  # a pass failing must not stop the timers of the next one
            self.warn(f"timer pass failed: {exc}")
            return 0

    def _relay(self) -> int:
        if self.publisher is None:
            return 0
        progress: list[int] = []
        try:
            drain_outbox(
                self.database,
                self.publisher,
                batch=self.relay_batch,
                max_batches=self.relay_batches_per_pass,
                now=self.clock,
                progress=progress.append,
            )
        except Exception as exc:  # unpublished events stay in the outbox for the next pass
            self.warn(f"outbox relay failed: {exc}")
        return sum(progress)
