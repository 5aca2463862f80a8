"""The ``cuebook worker`` loop: timers, the outbox relay, the inbound consumer, chores.

The loop knows nothing of the command line or of Kafka: the composition root hands it the
database, the engine (whose clock decides which timers are due), a ``Publisher`` (or None
when no broker is configured), an ``InboundLoop`` (or None), a clock and a stop event.

``run`` gives each part a thread of its own, so a broker that is down (the relay waiting on
it, then backing off) never holds up timers, and timers never hold up the consumer. A stop
is honoured between units of work: the timer pass in progress finishes, the relay batch in
flight is marked or left for later, the records polled are handled and their offsets
committed; the waits end at once, because every thread sleeps in ``stop.wait``.

Several workers may run against one database: timers and outbox rows are taken with
``FOR UPDATE SKIP LOCKED``, so each is handled by one worker, and inbound records are split
between the members of the consumer group.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.analytics import roll_up_history
from engine.events.consumer import InboundLoop
from engine.events.early import expire_kept, sweep_kept
from engine.events.metrics import RELAY_BACKOFF, RELAY_FAILURES, RELAYED
from engine.metrics import WORKER_LAST_PASS, WORKER_LOOP_LAG
from engine.operators.callback_firing import fire_due_callbacks, settle_done_callbacks
from engine.operators.upkeep import upkeep
from engine.persistence.database import Database
from engine.persistence.inbound import InboundRepository
from engine.relay import Publisher, drain_outbox, prune_outbox
from engine.sessions import Engine
from engine.timers import fire_due_timers

log = logging.getLogger("cuebook.worker")


@dataclass(frozen=True)
class PassResult:
    """What one pass did: timers fired, events relayed, inbound records handled, call-backs
    fired."""

    fired: int = 0
    relayed: int = 0
    received: int = 0
    called: int = 0


@dataclass
class Backoff:
    """Waits that double after each failure, up to ``most`` seconds; a success resets them."""

    first: float = 1.0
    most: float = 30.0
    current: float = 0.0

    def failed(self) -> float:
        self.current = min(self.most, self.current * 2 if self.current else self.first)
        return self.current

    def succeeded(self) -> None:
        self.current = 0.0


@dataclass
class Retention:
    """How long published events, seen message ids are kept (None: for ever), and how often
    the chores (pruning, expiring and sweeping early messages) run."""

    outbox: timedelta | None = timedelta(days=7)
    seen: timedelta = timedelta(days=7)
    every: float = 10.0


@dataclass
class Worker:
    """One worker process's loops. ``say`` and ``warn`` report progress and failures."""

    database: Database
    engine: Engine
    publisher: Publisher | None
    clock: Callable[[], datetime]
    interval: float = 1.0
    timers_per_pass: int = 100
    relay_batch: int = 500
    relay_batches_per_pass: int = 20
    topic_prefix: str = "cuebook."
    inbound: InboundLoop | None = None
    retention: Retention = field(default_factory=Retention)
    callback_script: str | None = "ticket_routing"  # the routing script call-backs open on
    relay_backoff: Backoff = field(default_factory=Backoff)
    say: Callable[[str], None] = field(default=log.info)
    warn: Callable[[str], None] = field(default=log.warning)
    _chores_at: float | None = None
    # The operator workspace (engine.operators.Workspace): offers expired, silent operators
    # set offline, ready operators offered what waits; every pass. None: not done here.
    operators: Any = None

    def run(self, stop: threading.Event, *, once: bool = False) -> int:
        """Run until ``stop`` is set (or one pass of everything with ``once``); return the
        count of timer passes."""
        if stop.is_set():
            return 0
        if once:
            self.run_pass()
            return 1
        threads = [threading.Thread(target=self._relay_loop, args=(stop,), name="cuebook-relay")]
        if self.inbound is not None:
            threads.append(
                threading.Thread(target=self._inbound_loop, args=(stop,), name="cuebook-inbound")
            )
        for thread in threads:
            thread.start()
        passes = 0
        previous: float | None = None
        try:
            while not stop.is_set():
                previous = self._mark_pass(previous)
                fired = self._fire_timers()
                self._report(PassResult(fired=fired, called=self._fire_callbacks()))
                self._chores()
                self._upkeep_operators()
                passes += 1
                if fired < self.timers_per_pass:  # a full pass: more are due, go on at once
                    stop.wait(self.interval)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        return passes

    def run_pass(self) -> PassResult:
        """Everything once, in turn; a failing part never stops the others."""
        self._mark_pass(None)
        result = PassResult(
            self._fire_timers(),
            max(0, self._relay()),
            self._receive(self.interval),
            self._fire_callbacks(),
        )
        self._chores(force=True)
        self._upkeep_operators()
        self._report(result)
        return result

    def _mark_pass(self, previous: float | None) -> float:
        """Show when this timer pass started and how much later than ``interval`` after the
        previous one (a slow pass or a stalled loop shows as lag); returns its start."""
        started = time.monotonic()
        if previous is not None:
            WORKER_LOOP_LAG.set(max(0.0, started - previous - self.interval))
        WORKER_LAST_PASS.set(time.time())
        return started

    def _report(self, result: PassResult) -> None:
        if result.fired:
            self.say(f"fired {result.fired} timer(s)")
        if result.relayed:
            self.say(f"relayed {result.relayed} event(s) to Kafka")
        if result.received:
            self.say(f"received {result.received} message(s)")
        if result.called:
            self.say(f"opened {result.called} call-back ticket(s)")

    def _fire_timers(self) -> int:
        try:
            return fire_due_timers(self.database, self.engine, limit=self.timers_per_pass)
        except Exception as exc:  # a pass failing must not stop the timers of the next one
            self.warn(f"timer pass failed: {exc}")
            return 0

    def _fire_callbacks(self) -> int:
        """Due call-backs become work items (engine/operators/callback_firing.py)."""
        if self.callback_script is None:
            return 0
        try:
            settle_done_callbacks(self.database, self.engine, limit=self.timers_per_pass)
            return fire_due_callbacks(
                self.database, self.engine, script=self.callback_script, limit=self.timers_per_pass
            )
        except Exception as exc:  # like a timer pass: the next pass tries again
            self.warn(f"call-back pass failed: {exc}")
            return 0

    # -- the relay ------------------------------------------------------------------------

    def _relay(self) -> int:
        """Drain the outbox once; -1 if the broker failed (the events stay for later)."""
        if self.publisher is None:
            return 0
        progress: list[int] = []
        try:
            drain_outbox(
                self.database,
                self.publisher,
                batch=self.relay_batch,
                max_batches=self.relay_batches_per_pass,
                topic_prefix=self.topic_prefix,
                now=self.clock,
                progress=progress.append,
            )
        except Exception as exc:  # unpublished events stay in the outbox for the next pass
            self.warn(f"outbox relay failed: {exc}")
            RELAYED.inc(sum(progress))
            RELAY_FAILURES.inc()
            return -1 if not progress else sum(progress)
        RELAYED.inc(sum(progress))
        return sum(progress)

    def _relay_loop(self, stop: threading.Event) -> None:
        """Relay while there is work; wait ``interval`` when the outbox is empty and back off
        (1 s, 2 s, 4 s ... 30 s) while the broker fails."""
        if self.publisher is None:
            return
        while not stop.is_set():
            relayed = self._relay()
            if relayed < 0:
                wait = self.relay_backoff.failed()
                RELAY_BACKOFF.set(wait)
            else:
                self.relay_backoff.succeeded()
                RELAY_BACKOFF.set(0)
                if relayed:
                    self.say(f"relayed {relayed} event(s) to Kafka")
                full = self.relay_batch * self.relay_batches_per_pass
                wait = 0 if relayed >= full else self.interval
            if wait:
                stop.wait(wait)

    # -- inbound messages -----------------------------------------------------------------

    def _receive(self, timeout: float) -> int:
        if self.inbound is None:
            return 0
        try:
            return self.inbound.run_once(timeout)
        except Exception as exc:  # the records not handled are fetched again
            self.warn(f"inbound messages failed: {exc}")
            return 0

    def _inbound_loop(self, stop: threading.Event) -> None:
        backoff = Backoff()
        while not stop.is_set():
            if self.inbound is None:
                return
            try:
                received = self.inbound.run_once(min(self.interval, 1.0))
            except Exception as exc:
                self.warn(f"inbound messages failed: {exc}")
                stop.wait(backoff.failed())
                continue
            backoff.succeeded()
            if received:
                self.say(f"received {received} message(s)")

    def _upkeep_operators(self) -> None:
        if self.operators is None:
            return
        try:
            done = upkeep(self.operators)
        except Exception as exc:  # like a timer pass: the next pass tries again
            self.warn(f"operator upkeep failed: {exc}")
            return
        if done.expired or done.silenced:
            self.say(f"expired {done.expired} offer(s), {done.silenced} operator(s) went offline")

    # -- chores ---------------------------------------------------------------------------

    def _chores(self, *, force: bool = False) -> None:
        """Prune published events and old message ids, drop expired early messages, and
        try kept messages whose session is open; every ``retention.every`` seconds."""
        now_s = time.monotonic()
        recent = self._chores_at is not None and now_s - self._chores_at < self.retention.every
        if recent and not force:
            return
        self._chores_at = now_s
        try:
            now = self.clock()
            if self.retention.outbox is not None:
                prune_outbox(
                    self.database,
                    published_before=now - self.retention.outbox,
                    relaying=self.publisher is not None,
                )
            with self.database.unit_of_work() as uow:
                InboundRepository(uow.conn).prune_seen(now - self.retention.seen, 5000)
            expire_kept(self.database, now)
            sweep_kept(self.database, self.engine)
        except Exception as exc:
            self.warn(f"chores failed: {exc}")
        self._roll_up()

    def _roll_up(self) -> None:
        """History folded into the analytics rollup, each row once (engine/analytics/rollup.py);
        with the chores, every ``retention.every`` seconds."""
        try:
            folded = roll_up_history(self.database, now=self.clock())
        except Exception as exc:  # the rows stay past the cursor; the API reads them live
            self.warn(f"analytics rollup failed: {exc}")
            return
        if folded:
            self.say(f"rolled up {folded} history row(s) for analytics")
