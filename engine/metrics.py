"""Business and process metrics (Prometheus): starts, steps, outcomes, handoffs, step entries
per element, step time per script and version, database errors, the worker's loop.

Under gunicorn the counters live in PROMETHEUS_MULTIPROC_DIR (set by ``cuebook serve``),
so ``/metrics`` sums every worker; each gauge says how processes' values combine.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine

SESSIONS_STARTED = Counter(
    "cuebook_sessions_started_total", "Sessions started", ["script", "channel"]
)
STEPS_TAKEN = Counter("cuebook_steps_total", "Steps answered", ["script", "channel"])
STEPS_ENTERED = Counter(
    "cuebook_step_entered_total",
    "Sessions that reached a step (drop-off by step)",
    ["script", "step"],
)
SESSIONS_ENDED = Counter(
    "cuebook_sessions_ended_total", "Sessions that ended, by outcome", ["script", "outcome"]
)
HANDOFFS = Counter(
    "cuebook_handoffs_total", "Sessions handed to a person", ["script", "queue", "why"]
)
NOT_UNDERSTOOD = Counter(
    "cuebook_replies_not_understood_total", "Bot replies that matched nothing", ["script", "step"]
)
STEP_SECONDS = Histogram(
    "cuebook_step_seconds",
    "Engine time of a step (restore, complete, engine steps, save), by script and version",
    ["script", "version"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
TICKET_ESCALATIONS = Counter(
    "cuebook_ticket_escalations_total",
    "Tickets the routing workflow escalated, by the group they went to",
    ["group"],
)
DB_ERRORS = Counter(
    "cuebook_db_errors_total",
    "Database errors raised to the code, by DBAPI error class (OperationalError: unreachable)",
    ["kind"],
)
WORKER_LOOP_LAG = Gauge(
    "cuebook_worker_loop_lag_seconds",
    "How much later than its interval the worker's last timer pass started",
    multiprocess_mode="max",
)
WORKER_LAST_PASS = Gauge(
    "cuebook_worker_last_pass_timestamp_seconds",
    "When the worker's last timer pass started (Unix time)",
    multiprocess_mode="max",
)


_step_children: dict[tuple[str, int], Any] = {}


def step_timed(script: str, version: int, seconds: float) -> None:
    """Record the engine time of one step of ``script`` at ``version`` (the labelled child
    looked up once per version)."""
    child = _step_children.get((script, version))
    if child is None:
        child = _step_children[(script, version)] = STEP_SECONDS.labels(script, str(version))
    child.observe(seconds)


def count_database_errors(engine: Engine) -> None:
    """Count every error the database driver raises through ``engine`` (connects included)."""

    @event.listens_for(engine, "handle_error")
    def _counted(context: Any) -> None:
        original = context.original_exception
        kind = type(context.sqlalchemy_exception or original).__name__
        DB_ERRORS.labels(kind).inc()
