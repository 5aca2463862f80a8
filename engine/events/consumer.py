"""The worker's inbound loop: records of the inbound topic -> ``receive`` -> offsets.

Records that read and are admitted are received a run at a time in one transaction
(``receive_many``: one commit for up to ``batch`` of them, each handled as ``receive``
handles it); a record that cannot be taken with the others is handled on its own.

A record's offset is committed only after the database transaction that handled it (the
delivery, the keeping, or the dead letter) committed. A poison message never stops the loop:
one that cannot be read or names no known message becomes a dead letter at once; one whose
delivery fails is tried ``attempts`` times, then becomes a dead letter. When the database
itself is out of reach nothing is committed: the consumer goes back to the first record not
handled and the loop waits before it tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.events.dead_letters import Letter, add_dead_letter, checked
from engine.events.inbound import InboundMessage, Refused, receive, receive_many
from engine.events.known import KnownMessages
from engine.events.metrics import INBOUND
from engine.persistence.database import Database
from engine.sessions import Engine

log = logging.getLogger("cuebook.events")


@dataclass(frozen=True)
class Record:
    """One record of the inbound topic."""

    topic: str
    partition: int
    offset: int
    value: bytes | None

    @property
    def source(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


class Consumer(Protocol):
    """The inbound topic as a consumer group member sees it (Kafka in cuebook/)."""

    def poll(self, timeout: float) -> list[Record]: ...

    def commit(self, records: list[Record]) -> None:
        """Commit the offsets after these records (the last of each partition)."""

    def rewind(self, records: list[Record]) -> None:
        """Fetch these records again on the next poll (seek to the first of each partition)."""

    def close(self) -> None: ...


class DatabaseDown(RuntimeError):
    """The database could not be reached: nothing was handled, try again later."""


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


@dataclass
class InboundLoop:
    database: Database
    engine: Engine
    consumer: Consumer
    known: KnownMessages
    keep_for: timedelta = timedelta(hours=1)
    attempts: int = 3
    batch: int = 50  # messages received in one transaction (one commit)
    retry_pause: float = 0.2  # seconds, doubled after each failed attempt
    sleep: Callable[[float], None] = field(default=time.sleep)

    def run_once(self, timeout: float) -> int:
        """Poll once and handle what came; return how many records were handled. Raises
        ``DatabaseDown`` (after committing what was done) if the database is out of reach.

        Runs of records that read and are admitted are received together, up to ``batch``
        per transaction (``receive_many``); a record the run cannot take is handled on its
        own (its attempts, its dead letter), and the next run starts after it."""
        records = self.consumer.poll(timeout)
        done: list[Record] = []
        try:
            while len(done) < len(records):
                rest = records[len(done) :]
                handled = self._handle_run(rest) or [(rest[0], self.handle(rest[0]))]
                for record, outcome in handled:
                    INBOUND.labels(outcome).inc()
                    done.append(record)
        except Exception:  # the database is down (or a dead letter could not be written)
            self.consumer.commit(done)
            self.consumer.rewind(records[len(done) :])
            raise
        self.consumer.commit(done)
        return len(done)

    def _handle_run(self, records: list[Record]) -> list[tuple[Record, str]]:
        """The leading records that read and are admitted, received in one transaction; the
        outcomes of those it took ([]: handle the first on its own)."""
        run: list[tuple[Record, InboundMessage]] = []
        for record in records[: self.batch]:
            try:
                run.append((record, checked(record.value, self.known)))
            except Exception:  # refused (or the known names unreadable): handled on its own
                break
        if len(run) < 2:
            return []
        messages = [message for _, message in run]
        received = receive_many(self.database, self.engine, messages, keep_for=self.keep_for)
        return [(record, r.outcome) for (record, _), r in zip(run, received, strict=False)]

    def handle(self, record: Record) -> str:
        """One record to its end: delivered, kept, duplicate or dead_letter."""
        try:
            try:
                message = checked(record.value, self.known)
            except Refused as exc:
                return self._dead(record, exc.reason, exc.error, exc.message_id, 0)
            failure = ""
            for attempt in range(1, self.attempts + 1):
                try:
                    received = receive(self.database, self.engine, message, keep_for=self.keep_for)
                    return received.outcome
                except Refused as exc:
                    return self._dead(record, exc.reason, exc.error, exc.message_id, attempt)
                except Exception as exc:
                    if _unreachable(exc):
                        raise
                    failure = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "message %s: attempt %d failed: %s", record.source, attempt, failure
                    )
                    if attempt < self.attempts:
                        self.sleep(self.retry_pause * 2 ** (attempt - 1))
            return self._dead(record, "delivery_failed", failure, message.message_id, self.attempts)
        except Exception as exc:
            if _unreachable(exc):
                raise DatabaseDown(str(exc)) from exc
            raise

    def _dead(
        self, record: Record, reason: str, error: str, message_id: str | None, attempts: int
    ) -> str:
        letter = Letter(reason, error, record.source, record.value, message_id, attempts)
        with self.database.unit_of_work() as uow:
            add_dead_letter(uow, letter, self.engine.clock())
        log.warning("message %s is a dead letter (%s): %s", record.source, reason, error)
        return "dead_letter"
