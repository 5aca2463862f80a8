"""Business metrics (Prometheus): starts, steps, outcomes, handoffs, step entries per element.

Under gunicorn the counters live in PROMETHEUS_MULTIPROC_DIR (set by ``cuebook serve``),
so ``/metrics`` sums every worker.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
    "Engine time of a step (restore, complete, engine steps, save)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
