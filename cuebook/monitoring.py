"""Health, readiness and metrics of the web processes and of ``cuebook worker``.

- ``GET /healthz``: the process answers (no database): for a liveness probe.
- ``GET /readyz``: the database answers, its schema is at the code's migration head, Kafka
  accepts connections when configured; 503 naming what fails, with ``Retry-After``.
- ``GET /metrics``: the counters and histograms every process writes (summed over gunicorn's
  workers through PROMETHEUS_MULTIPROC_DIR), then the gauges read from the database at
  scrape time (outbox, dead letters, live sessions, due timers, readiness).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, jsonify
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

from cuebook.logs import configure_logging, secrets_of
from cuebook.readiness import RETRY_AFTER_SECONDS, Readiness, ReadinessCollector
from cuebook.settings import Settings
from engine.events.metrics import EventsCollector
from engine.gauges import StateGauges, tolerant
from engine.persistence.database import Database
from web.auth import public
from web.telemetry import install_telemetry


def scrape_collectors(database: Database, readiness: Readiness) -> list[Collector]:
    """The gauges read from the database when scraped (never written per request)."""
    return [
        tolerant(EventsCollector(database, relaying=readiness.kafka_bootstrap is not None)),
        tolerant(StateGauges(database)),
        ReadinessCollector(readiness),
    ]


def process_metrics() -> bytes:
    """This process's metrics, or every gunicorn worker's under PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def install_monitoring(app: Flask, settings: Settings, database: Database) -> Readiness:
    """Time and log every request, and add /healthz, /readyz and /metrics (no token)."""
    install_telemetry(app)
    readiness = Readiness(database, settings.kafka_bootstrap)
    gauges = CollectorRegistry()
    for collector in scrape_collectors(database, readiness):
        gauges.register(collector)

    @app.get("/healthz")
    @public
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    @public
    def readyz() -> Any:
        report = readiness.check()
        resp = jsonify(report.as_dict())
        if not report.ready:
            resp.status_code = 503
            resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return resp

    @app.get("/metrics")
    @public
    def metrics() -> Any:
        body = process_metrics() + generate_latest(gauges)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    return readiness


def serve_worker_metrics(database: Database, settings: Settings, port: int) -> None:
    """The worker's counters and loop lag, and the database's gauges, at
    http://127.0.0.1:PORT/metrics."""
    from prometheus_client import start_http_server

    readiness = Readiness(database, settings.kafka_bootstrap)
    for collector in scrape_collectors(database, readiness):
        REGISTRY.register(collector)
    start_http_server(port, addr="127.0.0.1")


def configure_process_logging(settings: Settings) -> None:
    """Logs of ``cuebook serve`` (gunicorn's workers) and ``cuebook worker``, in the format
    the settings name, with the process's secrets masked."""
    configure_logging(settings.log_format, secrets_of(settings.env, settings.database_url))
