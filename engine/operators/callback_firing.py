"""A due call-back becomes work: ``cuebook worker`` fires it, once.

A fired call-back is a ticket of type ``callback`` opened on the routing script (the way
``cuebook.create_ticket`` opens one, so the route, the SLA and the work item are the routing
script's own), moved to the call-back's group when it asked for one, and its work item held
by the call-back's operator unless they are away (then it waits in the group's queue).

Exactly once, on PostgreSQL and SQLite, with several workers: the call-back is taken by a
conditional UPDATE (``status = 'scheduled'`` -> ``fired``) in the same transaction that opens
the ticket; of two workers the second updates no row and moves on, and a failure rolls the
status back with the ticket, so the next pass tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa

from engine.bpmn.compiler import FunctionInfo
from engine.customers import identity
from engine.errors import CuebookError, Detail, TransferRefused, ValidationFailed
from engine.operators.callbacks import (
    CALLBACK_TYPE,
    CallbackRequest,
    callback_event,
    callback_view,
    operator_login,
    schedule_callback,
    with_login,
)
from engine.operators.roster import operator_by_id
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import callbacks, tickets
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Actor, Engine
from engine.sessions.loading import load_session
from engine.tickets.commands import create_ticket_in
from engine.tickets.journal import TicketJournal
from engine.tickets.model import Ticket, TicketRequest, WorkItem
from engine.tickets.transfer import move_ticket

log = logging.getLogger("cuebook.callbacks")

CALLBACKS_ACTOR = Actor("callbacks", "bot")


def due_callbacks(database: Database, now: datetime, limit: int) -> list[str]:
    """Ids of call-backs due by ``now``, the longest due first."""
    with database.unit_of_work() as uow:
        q = (
            sa.select(callbacks.c.id)
            .where(callbacks.c.status == "scheduled", callbacks.c.due_at <= now)
            .order_by(callbacks.c.due_at, callbacks.c.id)
            .limit(limit)
        )
        return [str(i) for i in uow.conn.execute(q).scalars()]


def fire_due_callbacks(database: Database, engine: Engine, *, script: str, limit: int = 100) -> int:
    """Fire up to ``limit`` due call-backs; return how many this call fired. One that fails
    (its routing script unpublished meanwhile) stays scheduled and is tried on the next pass."""
    fired = 0
    for callback_id in due_callbacks(database, engine.clock(), limit):
        try:
            ticket_id = calls_outside_the_lock(
                database, engine.calls, partial(_fire, engine, callback_id, script)
            )
        except CuebookError as exc:
            log.warning("call-back %s could not fire: %s", callback_id, exc.message)
            continue
        if ticket_id is not None:
            fired += 1
    return fired


def _fire(engine: Engine, callback_id: str, script: str, uow: UnitOfWork) -> str | None:
    return fire_in(uow, engine, callback_id, script)


def settle_done_callbacks(database: Database, engine: Engine, *, limit: int = 100) -> int:
    """Fired call-backs whose ticket is resolved or closed become ``done``; returns how many."""
    now = engine.clock()
    with database.unit_of_work() as uow:
        # Driven from the few fired call-backs (their status index), each ticket by its key:
        # never a pass over every resolved ticket.
        finished = (
            sa.select(tickets.c.id)
            .where(tickets.c.id == callbacks.c.ticket_id)
            .where(tickets.c.status.in_(("resolved", "closed")))
        )
        q = (
            with_login()
            .where(callbacks.c.status == "fired", finished.exists())
            .order_by(callbacks.c.due_at)
            .limit(limit)
        )
        rows = uow.conn.execute(q).mappings().all()
        settled = 0
        for row in rows:
            changed = uow.conn.execute(
                callbacks.update()
                .where(callbacks.c.id == row["id"], callbacks.c.status == "fired")
                .values(status="done")
            )
            if changed.rowcount == 1:
                view = callback_view({**row, "status": "done"}, row["login"])
                uow.outbox.add_many([callback_event("done", view, now)])
                settled += 1
        return settled


def fire_in(uow: UnitOfWork, engine: Engine, callback_id: str, script: str) -> str | None:
    """Take the call-back and open its ticket; None if another worker took it first."""
    now = engine.clock()
    taken = uow.conn.execute(
        callbacks.update()
        .where(callbacks.c.id == callback_id, callbacks.c.status == "scheduled")
        .values(status="fired", fired_at=now)
    )
    if taken.rowcount != 1:
        return None
    row = uow.conn.execute(sa.select(callbacks).where(callbacks.c.id == callback_id)).mappings()
    callback = dict(row.one())
    view, _merged = create_ticket_in(uow, engine, _ticket_request(callback, script), script,
                                     CALLBACKS_ACTOR)  # fmt: skip
    ticket_id = str(view["id"])
    group = callback["group"]
    if group and view["group"] != group:
        _move(uow, engine, ticket_id, group)
    operator = operator_by_id(uow, callback["operator_id"]) if callback["operator_id"] else None
    if operator is not None and not operator.away:
        _assign(uow, engine, ticket_id, operator.login)
    elif view["group"] is not None or group:
        uow.entered_queue(str(group or view["group"]))  # assignment may offer it on
    uow.conn.execute(
        callbacks.update().where(callbacks.c.id == callback_id).values(ticket_id=ticket_id)
    )
    callback.update(ticket_id=ticket_id)
    fired = callback_view(callback, operator_login(uow, callback["operator_id"]))
    uow.outbox.add_many([callback_event("fired", fired, now)])
    return ticket_id


def _ticket_request(callback: dict[str, Any], script: str) -> TicketRequest:
    phone = callback["phone"]
    who = phone or callback["customer_key"]
    return TicketRequest(
        channel="phone",
        type=CALLBACK_TYPE,
        category=CALLBACK_TYPE,
        subject=f"Call back {who}"[:300],
        body=callback["note"] or "",
        attributes={
            "callback_id": callback["id"],
            "phone": phone,
            "callback_group": callback["group"],
        },
        script=script,
        customer_key=callback["customer_key"],
        identity=None if callback["customer_key"] else identity("phone", phone, "phone"),
    )


def _move(uow: UnitOfWork, engine: Engine, ticket_id: str, group: str) -> None:
    """The ticket to the call-back's group, by the one rule of moving a ticket; a move its
    routing rules forbid leaves it where they routed it (its queue still holds it)."""
    found = uow.tickets.get(ticket_id)
    assert found is not None  # opened in this transaction
    session = load_session(uow, found["instance_id"], for_update=True)
    ticket = Ticket.from_row(uow.tickets.get(ticket_id))
    try:
        with uow.conn.begin_nested():
            move_ticket(uow, engine, session, ticket, group, "call-back", CALLBACKS_ACTOR,
                        session.current_element)  # fmt: skip
    except TransferRefused as exc:
        log.warning("call-back ticket %s stays in %s: %s", ticket.number, ticket.group, exc)


def _assign(uow: UnitOfWork, engine: Engine, ticket_id: str, login: str) -> None:
    """The ticket's open, unclaimed work items held by ``login`` (as if they claimed them)."""
    now = engine.clock()
    ticket = Ticket.from_row(uow.tickets.get(ticket_id))
    journal = TicketJournal(ticket, now, login)
    for row in uow.work_items.of_ticket(ticket_id, open_only=True):
        item = WorkItem.from_row(row)
        if item.assignee is not None or not uow.work_items.claim(item.id, login, now):
            continue
        item.assignee, item.claimed_at = login, now
        journal.entry("claimed", to_group=item.group, element=item.element, reason="call-back")
        journal.work_item_event("claimed", item, assignee=login)
    journal.write(uow)


# -- cuebook.schedule_callback ------------------------------------------------------------

SCHEDULE_CALLBACK = FunctionInfo(
    name="cuebook.schedule_callback",
    parameters=(
        "customer_key",
        "phone",
        "due_at",
        "delay_minutes",
        "note",
        "group",
        "operator",
        "session_id",
    ),
    required=(),
)


def _text(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", [Detail(name, "must be text")])
    return value


def _when(args: dict[str, Any]) -> tuple[datetime | None, float | None]:
    due, delay = _text(args, "due_at"), args.get("delay_minutes")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float)):
        raise ValidationFailed(
            "delay_minutes must be a number", [Detail("delay_minutes", "must be a number")]
        )
    try:
        at = datetime.fromisoformat(due.replace("Z", "+00:00")) if due else None
    except ValueError:
        raise ValidationFailed(
            f"due_at {due!r} is not an ISO 8601 time", [Detail("due_at", "not an ISO 8601 time")]
        ) from None
    return at, (float(delay) if delay is not None else None)


def callback_scheduler(
    database: Database, engine: Engine, script: str
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The implementation bound to ``cuebook.schedule_callback`` by the composition root:
    a script step schedules a call-back (in its own transaction, like every built-in) and
    gets back ``{"callback_id", "due_at", "operator", "group", "status"}``."""

    def run(args: dict[str, Any]) -> dict[str, Any]:
        due_at, delay = _when(args)
        request = CallbackRequest(
            customer_key=_text(args, "customer_key"),
            phone=_text(args, "phone"),
            due_at=due_at,
            delay_minutes=delay,
            operator=_text(args, "operator"),
            group=_text(args, "group"),
            note=_text(args, "note") or "",
            instance_id=_text(args, "session_id"),
        )
        view = schedule_callback(database, engine, request, CALLBACKS_ACTOR, script=script)
        return {k: view[k] for k in ("callback_id", "due_at", "operator", "group", "status")}

    return run
