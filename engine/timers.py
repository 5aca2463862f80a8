"""Timer events: a worker fires due timers, one instance per transaction.

``SELECT ... FOR UPDATE SKIP LOCKED`` lets several workers share the work
without firing one timer twice. An instance whose timer path fails (a script
error, an integration that stays down) is marked failed with the error, so it
neither blocks the timers behind it nor is retried forever.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.errors import CuebookError
from engine.outbox import event_row
from engine.persistence.database import Database
from engine.sessions import Engine, resume

log = logging.getLogger("cuebook.timers")


def _refresh(workflow: Any) -> None:
    workflow.refresh_timers()


def _fail(database: Database, engine: Engine, instance_id: str, error: str) -> None:
    now = engine.clock()
    with database.unit_of_work() as uow:
        row = uow.instances.get_summary(instance_id)
        uow.instances.update(
            instance_id,
            status="failed",
            error=error[:2000],
            next_timer_at=None,
            ended_at=now,
            updated_at=now,
        )
        uow.outbox.add_many(
            [
                event_row(
                    "session.failed",
                    instance_id,
                    {
                        "script": row["script_key"] if row else "",
                        "error": error[:500],
                        "by": "timer",
                    },
                    now,
                )
            ]
        )


def fire_due_timers(database: Database, engine: Engine, *, limit: int = 100) -> int:
    """Fire up to ``limit`` due timers; return how many instances moved on."""
    fired = 0
    for _ in range(limit):
        instance_id = None
        try:
            with database.unit_of_work() as uow:
                due = uow.instances.due_timers(engine.clock(), 1)
                if not due:
                    break
                instance_id = due[0]
                resume(uow, engine, instance_id, _refresh, actor="timer", event="timer_fired")
            fired += 1
        except CuebookError as exc:
            if instance_id is None:
                raise
            log.warning("timer of session %s failed: %s", instance_id, exc.message)
            _fail(database, engine, instance_id, exc.message)
    return fired
