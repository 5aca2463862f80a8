"""The outbox relay: events written with each change go out to a message broker.

Delivery is at least once. Rows are marked published only after the publisher has
confirmed every send of the batch; if anything fails, nothing is marked and the whole
batch goes out again on the next pass, so a consumer may see an event twice and must
drop repeats by ``event_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.engine import RowMapping

from engine.persistence.database import Database


class PublishFailed(RuntimeError):
    """The broker did not take an event (or a batch); the message names the topic."""


class Publisher(Protocol):
    """Where events go: ``publish`` may buffer; ``flush`` waits and raises if a send failed."""

    def publish(self, topic: str, key: str, value: bytes) -> None: ...

    def flush(self) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def relay_outbox(
    database: Database,
    publisher: Publisher,
    *,
    batch: int = 500,
    topic_prefix: str = "cuebook.",
    now: Callable[[], datetime] = _utc_now,
) -> int:
    """Publish up to ``batch`` unpublished events, oldest first; return how many went out."""
    return _relay_batch(database, publisher, batch, topic_prefix, now).sent


@dataclass(frozen=True)
class _Batch:
    taken: int  # rows read (a full batch means more may wait)
    sent: int  # of them published and marked


def _relay_batch(
    database: Database,
    publisher: Publisher,
    batch: int,
    topic_prefix: str,
    now: Callable[[], datetime],
) -> _Batch:
    """One batch. Each event goes to topic ``{topic_prefix}{kind}``
    (``cuebook.session.step_taken``), keyed by its instance id or script key, so one key's
    events stay in order in one partition; the value is the event's JSON.

    On PostgreSQL the rows are taken with ``FOR UPDATE SKIP LOCKED`` and marked in the same
    transaction, so several workers share the outbox without sending a row twice. A key's
    events must also leave in order when two relays split them: of a key whose older event
    another relay holds, only the events older than that one go out now; the rest stay for a
    later pass. On SQLite a transaction holds the whole database, so the rows are read and
    marked in two short transactions and the broker is not waited on while writers queue.
    """
    if database.is_sqlite:
        with database.unit_of_work() as uow:
            rows = uow.outbox.unpublished(batch, lock=False)
        if not rows:
            return _Batch(0, 0)
        _send(publisher, rows, topic_prefix)
        with database.unit_of_work() as uow:
            uow.outbox.mark_published([row["id"] for row in rows], now())
        return _Batch(len(rows), len(rows))
    with database.unit_of_work() as uow:
        rows = uow.outbox.unpublished(batch, lock=True)
        if not rows:
            return _Batch(0, 0)
        elsewhere = uow.outbox.older_elsewhere(rows)
        ready = [r for r in rows if r["id"] < elsewhere.get(r["key"], r["id"] + 1)]
        if ready:
            _send(publisher, ready, topic_prefix)
            uow.outbox.mark_published([row["id"] for row in ready], now())
    return _Batch(len(rows), len(ready))


def prune_outbox(
    database: Database,
    *,
    published_before: datetime,
    limit: int = 5000,
    batches: int = 20,
    relaying: bool = True,
) -> int:
    """Delete events published before ``published_before`` (the retention), ``limit`` per
    transaction; return how many went. Without a relay (``relaying`` false: no Kafka) nothing
    is ever published, and events are read over the events API instead: those written before
    it go, so the table does not grow for ever."""
    total = 0
    for _ in range(batches):
        with database.unit_of_work() as uow:
            count = uow.outbox.prune_published(published_before, limit, by_age=not relaying)
        total += count
        if count < limit:
            break
    return total


def drain_outbox(
    database: Database,
    publisher: Publisher,
    *,
    batch: int = 500,
    max_batches: int = 20,
    topic_prefix: str = "cuebook.",
    now: Callable[[], datetime] = _utc_now,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Relay batch after batch until one comes back short (the backlog is out) or
    ``max_batches`` went out; return how many events were published.

    ``progress`` hears the count of each batch as it is marked, so a caller still knows
    what went out when a later batch raises.
    """
    total = 0
    for _ in range(max_batches):
        done = _relay_batch(database, publisher, batch, topic_prefix, now)
        total += done.sent
        if progress is not None and done.sent:
            progress(done.sent)
        if done.taken < batch or not done.sent:  # the backlog is out, or held by others
            break
    return total


def _send(publisher: Publisher, rows: Sequence[RowMapping], topic_prefix: str) -> None:
    for row in rows:
        publisher.publish(f"{topic_prefix}{row['topic']}", row["key"], row["payload"].encode())
    publisher.flush()
