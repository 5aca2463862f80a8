"""Gauges read from the database when ``/metrics`` is scraped, so every process shows the same
figures and a request pays nothing for them: live sessions per script (one grouped query),
what waits for a person per queue and since when, timers due and how late the oldest is,
and the release split of each script (the weight of each version new sessions start on).
Read at most once per ``ttl`` seconds per process.

``tolerant`` wraps a collector that reads the database, so a scrape while the database is
down still answers (with the readiness gauges saying why) instead of failing whole.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from engine.persistence.database import Database
from engine.persistence.tables import instances, scripts, work_items
from engine.releases import read_split
from engine.sessions.model import Status

log = logging.getLogger("cuebook.metrics")

TTL_SECONDS = 5.0
LIVE = (Status.WAITING.value, Status.HANDED_OFF.value)


def _live_by_script(conn: sa.Connection) -> list[tuple[str, int]]:
    q = (
        sa.select(instances.c.script_key, sa.func.count())
        .where(instances.c.status.in_(LIVE))
        .group_by(instances.c.script_key)
    )
    return [(str(key), int(count)) for key, count in conn.execute(q)]


def _due_timers(conn: sa.Connection, now: datetime) -> tuple[int, datetime | None]:
    due = instances.c.next_timer_at
    q = sa.select(sa.func.count(), sa.func.min(due)).where(due.is_not(None), due <= now)
    count, oldest = conn.execute(q).one()
    return int(count), oldest


def _queues(conn: sa.Connection) -> list[tuple[str, str, int, datetime | None]]:
    """(kind, queue, how many wait for a person, since when the oldest): handed-off sessions
    nobody claimed, and open ticket work items nobody took."""
    sessions = (
        sa.select(
            instances.c.handoff_queue, sa.func.count(), sa.func.min(instances.c.handed_off_at)
        )
        .where(instances.c.status == Status.HANDED_OFF.value, instances.c.assignee.is_(None))
        .group_by(instances.c.handoff_queue)
    )
    items = (
        sa.select(work_items.c.group, sa.func.count(), sa.func.min(work_items.c.created_at))
        .where(work_items.c.status == "open", work_items.c.assignee.is_(None))
        .group_by(work_items.c.group)
    )
    found = [("session", str(q or ""), int(n), at) for q, n, at in conn.execute(sessions)]
    found += [("work_item", str(q), int(n), at) for q, n, at in conn.execute(items)]
    return found


def _release_weights(conn: sa.Connection) -> list[tuple[str, int, int]]:
    """(script, version, weight in %) of every published script: its canary split, else its
    published version at 100."""
    q = sa.select(scripts.c.key, scripts.c.published_version, scripts.c.release_split).where(
        scripts.c.published_version.is_not(None)
    )
    found = []
    for key, published, split in conn.execute(q):
        shares = [(s.number, s.weight) for s in read_split(split)] if split else []
        found += [(str(key), n, w) for n, w in shares or [(int(published), 100)]]
    return found


def _seconds_since(then: datetime | None, now: datetime) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


class StateGauges(Collector):
    """Live sessions per script, queues waiting for a person, timers due and the oldest
    one's lateness, release weights."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime] | None = None,
        ttl: float = TTL_SECONDS,
    ) -> None:
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ttl = ttl
        self._cached: tuple[float, list[Any]] | None = None
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        with self._lock:
            cached = self._cached
            if cached is None or time.monotonic() - cached[0] >= self.ttl:
                cached = (time.monotonic(), self._read())
                self._cached = cached
        yield from cached[1]

    def _read(self) -> list[Any]:
        now = self.clock()
        with self.database.unit_of_work() as uow:
            live = _live_by_script(uow.conn)
            due, oldest = _due_timers(uow.conn, now)
            queues = _queues(uow.conn)
            weights = _release_weights(uow.conn)
        sessions = GaugeMetricFamily(
            "cuebook_live_sessions",
            "Sessions waiting or with a person, per script (ticket workflows included)",
            labels=["script"],
        )
        for script, count in sorted(live):
            sessions.add_metric([script], count)
        waiting = GaugeMetricFamily(
            "cuebook_queue_waiting",
            "Handed-off sessions (kind session) and ticket work items (kind work_item) waiting "
            "for a person, per queue",
            labels=["queue", "kind"],
        )
        oldest_wait = GaugeMetricFamily(
            "cuebook_queue_oldest_wait_seconds",
            "How long the oldest of them has waited, per queue",
            labels=["queue", "kind"],
        )
        for kind, queue, count, since in sorted(queues, key=lambda q: (q[1], q[0])):
            waiting.add_metric([queue, kind], count)
            oldest_wait.add_metric([queue, kind], _seconds_since(since, now))
        release = GaugeMetricFamily(
            "cuebook_release_weight",
            "Share of new sessions (%) each published version of a script gets (canary split)",
            labels=["script", "version"],
        )
        for script, number, weight in sorted(weights):
            release.add_metric([script, str(number)], weight)
        return [
            sessions,
            release,
            waiting,
            oldest_wait,
            GaugeMetricFamily(
                "cuebook_timers_due", "Instances whose next timer is due and not yet fired", due
            ),
            GaugeMetricFamily(
                "cuebook_timers_late_seconds",
                "How long ago the oldest timer not yet fired was due (0: none late)",
                _seconds_since(oldest, now),
            ),
        ]


class Tolerant(Collector):
    """A collector whose database read failing leaves its metrics out of this scrape."""

    def __init__(self, inner: Collector) -> None:
        self.inner = inner

    def collect(self) -> Iterator[Any]:
        try:
            families = list(self.inner.collect())
        except SQLAlchemyError as exc:
            log.warning("metrics of %s not read: %s", type(self.inner).__name__, type(exc).__name__)
            return
        yield from families


def tolerant(inner: Collector) -> Collector:
    return Tolerant(inner)
