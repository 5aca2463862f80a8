"""The relay shared by several relays, its pruning, and the lag /metrics shows (PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine.events.metrics import EventsCollector
from engine.outbox import event_row
from engine.persistence.tables import outbox
from engine.relay import drain_outbox, prune_outbox, relay_outbox
from tests.support.waiting import join_all

pytestmark = pytest.mark.postgres


class Slow:
    """A publisher that remembers what it sent, in order, and takes its time to confirm."""

    def __init__(self, log: list[tuple[str, str]], lock: threading.Lock) -> None:
        self.log = log
        self.lock = lock
        self.pending: list[tuple[str, str]] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.pending.append((key, json.loads(value)["event_id"]))

    def flush(self) -> None:
        time.sleep(0.01)
        with self.lock:
            self.log.extend(self.pending)
        self.pending = []


def _write(services: Any, keys: list[str], per_key: int) -> dict[str, list[str]]:
    """``per_key`` events of each key, interleaved, one transaction per round."""
    order: dict[str, list[str]] = defaultdict(list)
    now = datetime.now(UTC)
    for _ in range(per_key):
        with services.database.unit_of_work() as uow:
            rows = [event_row("session.timer_fired", k, {"script": "s"}, now) for k in keys]
            uow.outbox.add_many(rows)
        for k, row in zip(keys, rows, strict=True):
            order[k].append(row["event_id"])
    return order


def test_two_relays_share_the_outbox_once_each_and_in_order_per_key(
    services: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("relays share the outbox with SKIP LOCKED on PostgreSQL")
    drain_outbox(services.database, Slow([], threading.Lock()), max_batches=1000)
    keys = [f"k{n}-{time.monotonic_ns()}" for n in range(40)]
    written = _write(services, keys, 25)  # 1,000 events
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    counts: dict[str, int] = {}

    def relay() -> None:
        publisher = Slow(sent, lock)
        name = threading.current_thread().name
        counts[name] = 0
        for _ in range(400):
            count = relay_outbox(services.database, publisher, batch=37)
            counts[name] += count
            if count == 0:
                with services.database.unit_of_work() as uow:
                    if uow.outbox.lag()[0] == 0:
                        return

    threads = [threading.Thread(target=relay, name=f"relay-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    join_all(threads, "two relays to drain the outbox", timeout=60)
    assert all(counts.values()), f"both relays took part: {counts}"

    mine = [(k, e) for k, e in sent if k in written]
    assert len(mine) == sum(map(len, written.values())), "every event once"
    assert len({e for _, e in mine}) == len(mine), "no event twice"
    for k, ids in written.items():
        assert [e for key, e in mine if key == k] == ids, f"the events of {k} in order"


def test_published_events_are_pruned_after_the_retention(services: Any) -> None:
    now = datetime.now(UTC)
    with services.database.unit_of_work() as uow:
        rows = [event_row("session.timer_fired", "prune-me", {"script": "s"}, now)]
        rows.append(event_row("session.timer_fired", "prune-me", {"script": "s"}, now))
        uow.outbox.add_many(rows)
        ids = list(
            uow.conn.execute(sa.select(outbox.c.id).where(outbox.c.key == "prune-me")).scalars()
        )
        uow.outbox.mark_published(ids[:1], now - timedelta(days=30))  # long published
    assert prune_outbox(services.database, published_before=now - timedelta(days=7)) >= 1
    with services.database.unit_of_work() as uow:
        left = list(
            uow.conn.execute(sa.select(outbox.c.id).where(outbox.c.key == "prune-me")).scalars()
        )
    assert left == ids[1:], "the unpublished one stays"


def test_without_a_relay_events_older_than_the_retention_are_pruned(services: Any) -> None:
    """No Kafka: nothing publishes the outbox (clients read it over the events API), so
    events go by age, published or not, and the table does not grow for ever."""
    now = datetime.now(UTC)
    with services.database.unit_of_work() as uow:
        uow.outbox.add_many(
            [
                event_row(
                    "session.timer_fired", "by-age", {"script": "s"}, now - timedelta(days=9)
                ),
                event_row("session.timer_fired", "by-age", {"script": "s"}, now),
            ]
        )
        ids = list(
            uow.conn.execute(sa.select(outbox.c.id).where(outbox.c.key == "by-age")).scalars()
        )
    week_ago = now - timedelta(days=7)
    assert prune_outbox(services.database, published_before=week_ago, relaying=False) >= 1
    with services.database.unit_of_work() as uow:
        left = list(
            uow.conn.execute(sa.select(outbox.c.id).where(outbox.c.key == "by-age")).scalars()
        )
    assert left == ids[1:], "the event within the retention stays"


def _scrape(collector: EventsCollector) -> dict[str, float]:
    return {
        sample.name: sample.value for family in collector.collect() for sample in family.samples
    }


def test_metrics_show_the_outbox_lag(services: Any) -> None:
    old = datetime.now(UTC) - timedelta(minutes=10)
    with services.database.unit_of_work() as uow:
        uow.outbox.add_many([event_row("session.timer_fired", "lagging", {"script": "s"}, old)])
    values = _scrape(EventsCollector(services.database, relaying=True))
    assert values["cuebook_outbox_unpublished_events"] >= 1
    assert values["cuebook_outbox_lag_seconds"] >= 600
    assert "cuebook_dead_letters_waiting" in values
    assert "cuebook_early_messages_waiting" in values
    quiet = _scrape(EventsCollector(services.database, relaying=False))
    assert "cuebook_outbox_lag_seconds" not in quiet, "no relay: no lag to alert on"
    assert "cuebook_dead_letters_waiting" in quiet
    drain_outbox(services.database, Slow([], threading.Lock()), max_batches=1000)
