"""Timer events: a worker fires due timers, one instance per transaction.

``SELECT ... FOR UPDATE SKIP LOCKED`` lets several workers share the work
without firing one timer twice.
"""

from __future__ import annotations

from typing import Any

from engine.persistence.database import Database
from engine.sessions import Engine, resume


def _refresh(workflow: Any) -> None:
    workflow.refresh_timers()


def fire_due_timers(database: Database, engine: Engine, *, limit: int = 100) -> int:
    """Fire up to ``limit`` due timers; return how many instances moved on."""
    fired = 0
    for _ in range(limit):
        with database.unit_of_work() as uow:
            due = uow.instances.due_timers(engine.clock(), 1)
            if not due:
                break
            resume(uow, engine, due[0], _refresh, actor="timer", event="timer_fired")
            fired += 1
    return fired
