"""Metrics of events in and out: counters of the worker's relay and consumer, and gauges read
from the database when /metrics is scraped (the outbox's lag, dead letters, early messages)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.persistence.database import Database
from engine.persistence.inbound import InboundRepository

RELAYED = Counter("cuebook_events_relayed_total", "Outbox events published to Kafka")
RELAY_FAILURES = Counter("cuebook_relay_failures_total", "Relay passes the broker failed")
RELAY_BACKOFF = Gauge(
    "cuebook_relay_backoff_seconds", "How long the relay waits before its next try (0: none)"
)
INBOUND = Counter(
    "cuebook_inbound_messages_total",
    "Inbound messages handled, by outcome (delivered, kept, duplicate, dead_letter)",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "cuebook_dead_letters_total", "Messages that went to the dead-letter table", ["reason"]
)
EARLY = Counter(
    "cuebook_early_messages_total",
    "Early messages, by what became of them (kept, delivered, expired)",
    ["outcome"],
)


class EventsCollector(Collector):
    """Gauges read from the database at scrape time, so every process shows the same lag.

    Without Kafka (``relaying`` false) nothing publishes the outbox: its events are read over
    the events API and pruned by age, so "unpublished" and its lag mean nothing there and are
    not reported (an alert on them would fire for ever)."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime] | None = None,
        *,
        relaying: bool = True,
    ) -> None:
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))
        self.relaying = relaying

    def collect(self) -> Iterator[Any]:
        with self.database.unit_of_work() as uow:
            waiting, oldest = uow.outbox.lag() if self.relaying else (0, None)
            inbound = InboundRepository(uow.conn)
            dead, pending = inbound.count_dead(), inbound.count_pending()
        if self.relaying:
            lag = 0.0
            if oldest is not None:
                if oldest.tzinfo is None:
                    oldest = oldest.replace(tzinfo=UTC)
                lag = max(0.0, (self.clock() - oldest).total_seconds())
            yield GaugeMetricFamily(
                "cuebook_outbox_unpublished_events", "Outbox events not yet published", waiting
            )
            yield GaugeMetricFamily(
                "cuebook_outbox_lag_seconds", "Age of the oldest unpublished outbox event", lag
            )
        yield GaugeMetricFamily(
            "cuebook_dead_letters_waiting", "Dead letters not retried yet", dead
        )
        yield GaugeMetricFamily(
            "cuebook_early_messages_waiting", "Early messages kept for sessions", pending
        )
