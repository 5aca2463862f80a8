"""Call-backs: a promise to call a customer back at a time, kept by an operator or a group.

schedule  an operator (``POST /api/v1/callbacks``) or a script step (the built-in
          ``cuebook.schedule_callback``) asks for one: a customer (key or phone), a due time
          (or a delay), an operator and/or a group, a note
cancel    a scheduled call-back is called off; one already fired is not (409)
read      one, or a list (an operator's, by status), soonest due first

When it is due, ``cuebook worker`` fires it (engine/operators/callback_firing.py): it becomes
a ticket with a work item, held by its operator, or in its group's queue when they are away.

Every check is made when it is scheduled (a due time in the future, a known operator, a group
the routing script knows, a routing script that takes call-backs), so firing it later does
not fail for what the request said.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.customers import check_customer_key, identity
from engine.errors import CallbackNotFound, CallbackNotScheduled, Detail, ValidationFailed
from engine.operators.roster import (
    Operator,
    aware,
    check_group,
    iso,
    known_operator,
    operator_by_id,
    operator_by_login,
)
from engine.outbox import event_row
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import callbacks, operators
from engine.sessions import Actor, Engine
from engine.tickets.commands import routing_script

CALLBACK_TYPE = "callback"  # the ticket type a fired call-back opens
STATUSES = ("scheduled", "fired", "done", "cancelled")
NOTE_MAX = 2000
LATEST = timedelta(days=366)  # a call-back further ahead than this is surely a typo


@dataclass(frozen=True)
class CallbackRequest:
    """What is asked: the customer, when (``due_at``, or ``delay_minutes`` from now), who."""

    customer_key: str | None = None
    phone: str | None = None
    due_at: datetime | None = None
    delay_minutes: float | None = None
    operator: str | None = None
    group: str | None = None
    note: str = ""
    instance_id: str | None = None


def _due(request: CallbackRequest, now: datetime) -> datetime:
    if (request.due_at is None) == (request.delay_minutes is None):
        raise ValidationFailed(
            "give the due time: due_at or delay_minutes (one of them)",
            [Detail("due_at", "give due_at or delay_minutes, not both")],
        )
    if request.delay_minutes is not None:
        if request.delay_minutes <= 0:
            raise ValidationFailed(
                "delay_minutes must be more than 0",
                [Detail("delay_minutes", "must be more than 0")],
            )
        due = now + timedelta(minutes=request.delay_minutes)
        path = "delay_minutes"
    else:
        assert request.due_at is not None
        if request.due_at.tzinfo is None:
            raise ValidationFailed(
                "due_at needs a time zone (2027-01-15T10:00:00+03:00 or ...Z)",
                [Detail("due_at", "needs a time zone")],
            )
        due, path = request.due_at, "due_at"
        if due <= now:
            raise ValidationFailed(
                f"due_at {due.isoformat()} is in the past", [Detail("due_at", "is in the past")]
            )
    if due > now + LATEST:
        raise ValidationFailed(
            "a call-back is due within a year", [Detail(path, "more than a year ahead")]
        )
    return due


def _customer(request: CallbackRequest) -> tuple[str | None, str | None]:
    if not request.customer_key and not request.phone:
        raise ValidationFailed(
            "name the customer: customer_key or phone",
            [Detail("customer_key", "customer_key or phone is required")],
        )
    key = check_customer_key(request.customer_key) if request.customer_key else None
    phone = None
    if request.phone:
        try:
            phone = identity("phone", request.phone).value
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, [Detail("phone", "not a valid phone")]) from None
    return key, phone


def _check_note(note: str) -> str:
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            f"the note is longer than {NOTE_MAX} characters",
            [Detail("note", f"at most {NOTE_MAX} characters")],
        )
    return note


def _who(uow: UnitOfWork, request: CallbackRequest, actor: Actor) -> Operator | None:
    """The operator named, else the operator asking; a bot (a script) names an operator or
    a group."""
    if request.operator:
        return known_operator(uow, request.operator)
    if actor.role == "operator" and (request.group is None or operator_by_login(uow, actor.name)):
        return known_operator(uow, actor.name)
    if request.group:
        return None
    raise ValidationFailed(
        "name who calls back: an operator or a group",
        [Detail("group", "give operator or group")],
    )


def _check_routing(uow: UnitOfWork, engine: Engine, script: str, group: str | None) -> None:
    """The routing script that will open the ticket takes call-backs, and knows the group."""
    _release, compiled = routing_script(uow, engine, script)
    rules = compiled.routing
    assert rules is not None
    if rules.types and CALLBACK_TYPE not in rules.types:
        raise CallbackNotScheduled(
            f"routing script {script!r} has no ticket type {CALLBACK_TYPE!r} in groups.json: "
            "a call-back could not become a ticket",
            [Detail("", f"add the type {CALLBACK_TYPE!r} to groups.json")],
        )
    if group is not None:
        check_group(group, rules.groups)


def schedule_callback(
    database: Database, engine: Engine, request: CallbackRequest, actor: Actor, *, script: str
) -> dict[str, Any]:
    """Schedule a call-back; returns it. Every check names the field it is about (422)."""
    now = engine.clock()
    due = _due(request, now)
    key, phone = _customer(request)
    note = _check_note(request.note)
    with database.unit_of_work() as uow:
        who = _who(uow, request, actor)
        _check_routing(uow, engine, script, request.group)
        row = {
            "id": str(uuid.uuid4()),
            "customer_key": key,
            "phone": phone,
            "due_at": due,
            "operator_id": who.id if who else None,
            "group": request.group,
            "note": note,
            "instance_id": request.instance_id,
            "ticket_id": None,
            "status": "scheduled",
            "created_by": actor.name,
            "created_at": now,
            "fired_at": None,
        }
        uow.conn.execute(callbacks.insert().values(**row))
        view = callback_view(row, who.login if who else None)
        uow.outbox.add_many([callback_event("scheduled", view, now)])
        return view


def callback_event(kind: str, view: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A ``callback.<kind>`` outbox event, keyed by the call-back's id."""
    data = {
        k: view[k]
        for k in (
            "callback_id", "customer_key", "phone", "due_at", "operator", "group", "status",
            "ticket_id",
        )
    }  # fmt: skip
    return event_row(f"callback.{kind}", view["id"], data, now)


def callback_view(row: Any, operator: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "callback_id": row["id"],
        "customer_key": row["customer_key"],
        "phone": row["phone"],
        "due_at": iso(row["due_at"]),
        "operator": operator,
        "group": row["group"],
        "note": row["note"],
        "instance_id": row["instance_id"],
        "ticket_id": row["ticket_id"],
        "status": row["status"],
        "created_by": row["created_by"],
        "created_at": iso(row["created_at"]),
        "fired_at": iso(row["fired_at"]),
    }


def with_login() -> Any:
    """Call-backs with their operator's login."""
    return sa.select(callbacks, operators.c.login).select_from(
        callbacks.outerjoin(operators, operators.c.id == callbacks.c.operator_id)
    )


def _is_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _load(uow: UnitOfWork, callback_id: str, *, for_update: bool = False) -> Any:
    row = None
    if _is_id(callback_id):
        q = with_login().where(callbacks.c.id == callback_id)
        if for_update and not uow.is_sqlite:
            q = q.with_for_update(of=callbacks)
        row = uow.conn.execute(q).mappings().first()
    if row is None:
        raise CallbackNotFound(f"call-back {callback_id} not found")
    return row


def get_callback(database: Database, callback_id: str) -> dict[str, Any]:
    with database.unit_of_work() as uow:
        row = _load(uow, callback_id)
    return callback_view(row, row["login"])


def list_callbacks(
    database: Database, *, operator: str | None, status: str | None, limit: int
) -> dict[str, Any]:
    """Call-backs, soonest due first: an operator's (by login), of one status."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(
            f"unknown status {status!r}; one of {', '.join(STATUSES)}",
            [Detail("status", f"one of {', '.join(STATUSES)}")],
        )
    with database.unit_of_work() as uow:
        q = with_login().order_by(callbacks.c.due_at, callbacks.c.id).limit(limit)
        if operator is not None:
            q = q.where(callbacks.c.operator_id == known_operator(uow, operator).id)
        if status is not None:
            q = q.where(callbacks.c.status == status)
        rows = uow.conn.execute(q).mappings().all()
    return {"items": [callback_view(r, r["login"]) for r in rows]}


def cancel_callback(
    database: Database, engine: Engine, callback_id: str, actor: Actor
) -> dict[str, Any]:
    """Call off a scheduled call-back (one fired, done or cancelled is refused with 409)."""
    with database.unit_of_work() as uow:
        row = _load(uow, callback_id, for_update=True)
        now = engine.clock()
        done = uow.conn.execute(
            callbacks.update()
            .where(callbacks.c.id == row["id"], callbacks.c.status == "scheduled")
            .values(status="cancelled")
        )
        if done.rowcount != 1:
            current = _load(uow, callback_id)["status"]
            raise CallbackNotScheduled(
                f"call-back {callback_id} is {current}: only a scheduled one can be cancelled",
                [Detail("status", f"is {current}")],
                extra={"status": current},
            )
        view = callback_view({**row, "status": "cancelled"}, row["login"])
        uow.outbox.add_many([callback_event("cancelled", view, now)])
        return view


def callbacks_of(uow: UnitOfWork, operator_id: int, limit: int) -> list[dict[str, Any]]:
    """An operator's scheduled call-backs, soonest first (for their inbox)."""
    q = (
        with_login()
        .where(callbacks.c.operator_id == operator_id, callbacks.c.status == "scheduled")
        .order_by(callbacks.c.due_at)
        .limit(limit)
    )
    return [callback_view(r, r["login"]) for r in uow.conn.execute(q).mappings()]


def operator_login(uow: UnitOfWork, operator_id: int | None) -> str | None:
    found = operator_by_id(uow, operator_id) if operator_id is not None else None
    return found.login if found else None


__all__ = [
    "CALLBACK_TYPE",
    "CallbackRequest",
    "aware",
    "callbacks_of",
    "cancel_callback",
    "get_callback",
    "list_callbacks",
    "schedule_callback",
]
