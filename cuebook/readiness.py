"""Whether this process can serve: the database answers, its schema is at the code's
migration head, and Kafka (when configured) accepts connections.

``GET /readyz`` answers from ``Readiness.check``; ``/metrics`` shows the same checks as
``cuebook_ready{check=...}``. The database is asked on every check (one round trip); the
Kafka check opens a TCP connection to a bootstrap server and is remembered a few seconds, so
a load balancer probing every second costs the broker almost nothing.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from engine.migrations import current_head
from engine.persistence.database import Database

log = logging.getLogger("cuebook.readiness")

OK = "ok"
NOT_CONFIGURED = "not configured"
UNKNOWN = "unknown"
CHECKS = ("database", "migrations", "kafka")
KAFKA_TTL_SECONDS = 5.0
KAFKA_TIMEOUT_SECONDS = 1.0
RETRY_AFTER_SECONDS = 5


def _passes_or_unknown(found: str) -> bool:
    """A check that passed, is not configured, or could not run because another failed."""
    return found in (OK, NOT_CONFIGURED) or found.startswith(UNKNOWN)


@dataclass(frozen=True)
class Report:
    """Each check's finding: ``ok``, ``not configured``, ``unknown (why)`` when another
    check's failure kept it from running, or what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [name for name, found in self.checks.items() if not _passes_or_unknown(found)]

    @property
    def ready(self) -> bool:
        return not self.failing

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ready" if self.ready else "not ready"}
        if not self.ready:
            body["failing"] = self.failing
        body["checks"] = dict(self.checks)
        return body


def bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` (Kafka's default port 9092 when none is given)."""
    addresses = []
    for item in bootstrap.split(","):
        item = item.strip()
        if not item:
            continue
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "9092")
        addresses.append((host.strip("[]"), int(port or 9092)))
    return addresses


def kafka_reachable(bootstrap: str, timeout: float = KAFKA_TIMEOUT_SECONDS) -> str:
    """``ok`` when a bootstrap server accepts a TCP connection, else why not."""
    reasons = []
    for host, port in bootstrap_addresses(bootstrap):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return OK
        except OSError as exc:
            reasons.append(f"{host}:{port} {exc.strerror or type(exc).__name__}")
    return "not reachable: " + ("; ".join(reasons) or "no bootstrap server")


class Readiness:
    """The checks of one process; safe to call from several threads."""

    def __init__(
        self,
        database: Database,
        kafka_bootstrap: str | None,
        *,
        head: str | None = None,
        kafka_check: Callable[[str], str] = kafka_reachable,
        kafka_ttl: float = KAFKA_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.kafka_bootstrap = kafka_bootstrap
        self.head = head if head is not None else current_head()
        self._kafka_check = kafka_check
        self._kafka_ttl = kafka_ttl
        self._clock = clock
        self._kafka: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._failing: list[str] = []

    def check(self) -> Report:
        checks = dict(zip(("database", "migrations"), self._database(), strict=True))
        checks["kafka"] = self._kafka_state()
        report = Report(checks)
        if report.failing != self._failing:  # said once per change, not once per probe
            self._failing = report.failing
            if report.failing:
                log.warning("not ready: %s", "; ".join(f"{n}: {checks[n]}" for n in report.failing))
            else:
                log.info("ready")
        return report

    def _database(self) -> tuple[str, str]:
        """(database, migrations): one transaction reads the schema's revision."""
        try:
            with self.database.unit_of_work() as uow:
                uow.conn.execute(sa.text("SELECT 1"))
                try:
                    with uow.conn.begin_nested():
                        found = uow.conn.execute(
                            sa.text("SELECT version_num FROM alembic_version")
                        ).scalars()
                        revisions = set(found)
                except SQLAlchemyError:
                    return OK, "not applied: no alembic_version table (run cuebook db upgrade)"
        except SQLAlchemyError:
            return "not reachable", f"{UNKNOWN} (database not reachable)"
        if revisions == {self.head}:
            return OK, OK
        at = ", ".join(sorted(revisions)) or "none"
        return OK, f"behind: database at {at}, code at {self.head} (run cuebook db upgrade)"

    def _kafka_state(self) -> str:
        if not self.kafka_bootstrap:
            return NOT_CONFIGURED
        now = self._clock()
        with self._lock:
            cached = self._kafka
        if cached is not None and now - cached[0] < self._kafka_ttl:
            return cached[1]
        found = self._kafka_check(self.kafka_bootstrap)
        with self._lock:
            self._kafka = (now, found)
        return found


class ReadinessCollector(Collector):
    """``cuebook_ready{check}``: 1 when the check passes (or is not configured), 0 when it
    fails; left out when it could not run (migrations while the database is down)."""

    def __init__(self, readiness: Readiness) -> None:
        self.readiness = readiness

    def collect(self) -> Iterator[Any]:
        report = self.readiness.check()
        family = GaugeMetricFamily(
            "cuebook_ready",
            "Readiness checks of this process (1 passing, 0 failing)",
            None,
            ["check"],
        )
        failing = set(report.failing)
        for name in CHECKS:
            if not report.checks.get(name, UNKNOWN).startswith(UNKNOWN):
                family.add_metric([name], 0.0 if name in failing else 1.0)
        yield family
