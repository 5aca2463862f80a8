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
from engine.persistence.database import Database, UnitOfWork
from engine.service_calls import calls_outside_the_lock
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


def _fire_next(database: Database, engine: Engine, picked: list[str]) -> bool:
    """Fire the next due timer; False when none is due.

    Service tasks after the timer are called outside the row lock: the attempt that stops
    at one rolls back, the call is made, and the next attempt takes the same instance again
    (if it is still due and free) rather than the next one in line.
    """

    def fire(uow: UnitOfWork) -> bool:
        if picked:
            if not uow.instances.lock_if_due(picked[0], engine.clock()):
                return True  # another worker fired it meanwhile
        else:
            due = uow.instances.due_timers(engine.clock(), 1)
            if not due:
                return False
            picked.append(due[0])
        resume(uow, engine, picked[0], _refresh, actor="timer", event="timer_fired")
        return True

    return calls_outside_the_lock(database, engine.calls, fire)


def fire_due_timers(database: Database, engine: Engine, *, limit: int = 100) -> int:
    """Fire up to ``limit`` due timers; return how many instances moved on."""
    fired = 0
    for _ in range(limit):
        picked: list[str] = []
        try:
            if not _fire_next(database, engine, picked):
                break
            fired += 1
        except CuebookError as exc:
            if not picked:
                raise
            log.warning("timer of session %s failed: %s", picked[0], exc.message)
            _fail(database, engine, picked[0], exc.message)
    return fired
