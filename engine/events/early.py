"""Early messages: kept when no session waits for them yet, delivered when one starts to.

Every state write of a session runs ``early_delivery`` (a transition hook, in the write's
transaction). It costs nothing for a script that declares no message catch event and a scan
of the workflow's tasks otherwise; only a session left waiting at a message catch event
looks for kept messages, with one indexed query. Those found are delivered after the commit,
each in a transaction of its own that takes the kept row with ``SKIP LOCKED`` (so it goes
once), and dropped from the kept ones once delivered.

A session that starts already waiting at a catch event, or whose delivery after the commit
did not happen (the process stopped), is found by the worker's ``sweep_kept``. Kept messages
past their time are dropped by ``expire_kept`` and counted
(``cuebook_early_messages_total{outcome="expired"}``).
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.events.inbound import InboundMessage, deliver_in
from engine.events.metrics import EARLY
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.inbound import InboundRepository
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Engine

log = logging.getLogger("cuebook.events")

_CATCHES: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def _declared(workflow: Any) -> frozenset[str]:
    """Message names the workflow's specs catch (read once per spec object)."""
    spec = workflow.spec
    names = _CATCHES.get(spec)
    if names is None:
        specs = [spec, *getattr(workflow, "subprocess_specs", {}).values()]
        names = frozenset(
            definition.name
            for process in specs
            for task_spec in process.task_specs.values()
            if isinstance(
                definition := getattr(task_spec, "event_definition", None),
                MessageEventDefinition,
            )
        )
        _CATCHES[spec] = names
    return names


def waiting_for_messages(workflow: Any) -> list[str]:
    """Names of the messages the workflow's waiting catch events wait for."""
    if not _declared(workflow):
        return []
    return sorted(
        {
            task.task_spec.event_definition.name
            for wf in (workflow, *workflow.subprocesses.values())
            for task in wf.tasks.values()
            if task.state == TaskState.WAITING
            and isinstance(
                getattr(task.task_spec, "event_definition", None), MessageEventDefinition
            )
        }
    )


def early_delivery(database: Database) -> Callable[..., None]:
    """The transition hook: after the write commits, deliver messages kept for the session
    if it now waits for them."""

    def hook(
        uow: UnitOfWork,
        engine: Engine,
        session: Any,
        workflow: Any,
        outcome: Any,
        journal: Any,
    ) -> None:
        if outcome.status.ended:
            return
        names = waiting_for_messages(workflow)
        if not names:
            return
        inbound = InboundRepository(uow.conn)
        kept = inbound.pending_for(session.id, session.session_key, names, engine.clock())
        if kept:
            uow.after_commit(partial(_deliver_after_commit, database, engine, kept))

    return hook


def _deliver_after_commit(database: Database, engine: Engine, kept: list[int]) -> None:
    deliver_kept(database, engine, kept)


def deliver_kept(database: Database, engine: Engine, kept: list[int]) -> int:
    """Try each kept message again; return how many reached a session. Never raises: it
    runs after a commit, and what it cannot deliver now stays for the sweep."""
    delivered = 0
    for pending_id in kept:
        try:
            delivered += _deliver_one(database, engine, pending_id)
        except Exception as exc:  # the message stays kept; the sweep tries again
            log.warning("kept message %s not delivered: %s", pending_id, exc)
    return delivered


def _deliver_one(database: Database, engine: Engine, pending_id: int) -> int:
    def use_case(uow: UnitOfWork) -> int:
        inbound = InboundRepository(uow.conn)
        row = inbound.take_pending(pending_id)
        if row is None or row["expires_at"] <= _aware(engine.clock(), row["expires_at"]):
            return 0
        message = InboundMessage(
            message_id=row["message_id"] or "",
            name=row["name"],
            correlation_key=row["correlation_key"],
            session_id=row["session_id"],
            payload=json.loads(row["payload"]) if row["payload"] is not None else None,
            sender=row["sender"],
        )
        if not deliver_in(uow, engine, message):
            return 0
        inbound.drop_pending(pending_id)
        if message.message_id:
            inbound.seen_as(message.message_id, "delivered", engine.clock())
        return 1

    done = calls_outside_the_lock(database, engine.calls, use_case)
    if done:
        EARLY.labels("delivered").inc()
    return done


def _aware(now: datetime, like: datetime) -> datetime:
    return now if like.tzinfo is not None else now.replace(tzinfo=None)


def expire_kept(database: Database, now: datetime, *, limit: int = 1000) -> int:
    """Drop kept messages past their time; return how many."""
    with database.unit_of_work() as uow:
        names = InboundRepository(uow.conn).expire_pending(now, limit)
    if names:
        EARLY.labels("expired").inc(len(names))
        log.info("dropped %d early message(s) nobody waited for", len(names))
    return len(names)


def sweep_kept(database: Database, engine: Engine, *, limit: int = 100) -> int:
    """Try the kept messages whose session is open; return how many were delivered."""
    with database.unit_of_work() as uow:
        kept = InboundRepository(uow.conn).pending_with_open_session(engine.clock(), limit)
    return deliver_kept(database, engine, kept) if kept else 0
