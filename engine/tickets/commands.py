"""Opening a ticket (or joining the open one of the same problem) and commenting on it.

Each public command opens its own transaction(s) on the ``Database`` it is given; a routing
workflow that reaches a service task makes its call outside the transaction
(engine/service_calls.py), then the command runs again from the start.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from engine.bpmn.compiler import CompiledScript
from engine.customers import check_customer_key, resolve_customer
from engine.errors import Detail, NotWaitingForMessage, TicketNotFound, ValidationFailed
from engine.messages import deliver_message
from engine.model import TICKET_CHANNEL
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import history as history_table
from engine.persistence.tables import (
    instances,
    outbox,
    ticket_messages,
    ticket_route,
    tickets,
    work_items,
)
from engine.releases import chosen_version
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Actor, Engine, resume
from engine.sessions.journal import Journal, dumps
from engine.sessions.transitions import arrive, first_session
from engine.tickets.dedup import look_up_problem
from engine.tickets.journal import TicketJournal
from engine.tickets.model import (
    Comment,
    Ticket,
    TicketRequest,
    TicketStatus,
    WorkItem,
    is_uuid,
    iso,
)
from engine.tickets.numbers import format_number
from engine.tickets.routing import Left
from engine.tickets.transitions import apply_workflow, open_work_items, work_item_row
from engine.tickets.views import ticket_view

CUSTOMER_REPLY = "customer_reply"
CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,20}")


def check_channel(channel: str | None, path: str = "channel") -> str:
    if channel is None or not CHANNEL_NAME.fullmatch(channel):
        raise ValidationFailed(
            f"bad channel {channel!r}: 1-20 of a-z, 0-9, '_' and '-' (phone, chat, email, web...)",
            [Detail(path, "1-20 of a-z, 0-9, '_' and '-'")],
        )
    return channel


def _check_request(request: TicketRequest) -> None:
    check_channel(request.channel)
    if request.customer_key is None and request.identity is None:
        raise ValidationFailed(
            "name the customer: customer_key or identity",
            [Detail("customer_key", "customer_key or identity is required")],
        )
    if request.customer_key is not None:
        check_customer_key(request.customer_key)
    if not request.type:
        raise ValidationFailed("type is required", [Detail("type", "is required")])


def create_ticket(
    database: Database,
    engine: Engine,
    request: TicketRequest,
    actor: Actor,
    *,
    default_script: str,
) -> tuple[dict[str, Any], bool]:
    """Open a ticket on the routing script's published version, or join the customer's open
    ticket of the same problem; returns (ticket view, merged)."""
    _check_request(request)
    script = request.script or default_script
    return calls_outside_the_lock(
        database, engine.calls, lambda uow: create_ticket_in(uow, engine, request, script, actor)
    )


def create_ticket_in(
    uow: UnitOfWork, engine: Engine, request: TicketRequest, script: str, actor: Actor
) -> tuple[dict[str, Any], bool]:
    now = engine.clock()
    customer_key = request.customer_key
    if customer_key is None and request.identity is not None:
        customer_key = resolve_customer(uow, request.identity, now)
    assert customer_key is not None
    release, compiled = routing_script(uow, engine, script, customer_key)
    rules = compiled.routing
    assert rules is not None
    if rules.types and request.type not in rules.types:
        raise ValidationFailed(
            f"unknown ticket type {request.type!r}; script {script!r} knows "
            + ", ".join(sorted(rules.types)),
            [Detail("type", f"unknown type {request.type!r}")],
        )
    existing, seq = look_up_problem(uow, rules, customer_key, request.type, request.category, now)
    if existing is not None:
        return join_ticket(uow, engine, existing, request, actor, now), True
    assert seq is not None
    ticket = _new_ticket(release, request, customer_key, seq, now)
    ticket, items = _open(uow, engine, release, compiled, ticket, request, actor)
    return ticket_view(ticket, rules, items), False


def routing_script(
    uow: UnitOfWork, engine: Engine, script: str, customer_key: str | None = None
) -> tuple[Any, CompiledScript]:
    """The published version of a routing script (422 naming ``script`` otherwise); with a
    customer key, the version its release gives that customer (the sessions' rule)."""
    release = uow.scripts.published_version_id(script)
    if customer_key is not None:
        release = chosen_version(release, customer_key)
    if release is None:
        known = uow.scripts.get(script) is not None
        raise ValidationFailed(
            f"routing script {script!r} " + ("has no published version" if known else "not found"),
            [Detail("script", "no published version" if known else "no such script")],
        )
    compiled = engine.specs.get(uow, release["version_id"])
    if compiled.routing is None:
        raise ValidationFailed(
            f"script {script!r} is not a routing script (its cuebook.json has no "
            '"kind": "routing")',
            [Detail("script", "not a routing script")],
        )
    return release, compiled


def _new_ticket(
    release: Any, request: TicketRequest, customer_key: str, seq: int, now: datetime
) -> Ticket:
    return Ticket(
        id=str(uuid.uuid4()),
        seq=seq,
        number=format_number(seq, now),
        instance_id=str(uuid.uuid4()),
        script_key=release["key"],
        version_number=release["number"],
        customer_key=customer_key,
        channel=request.channel,
        type=request.type,
        category=request.category,
        subject=request.subject,
        body=request.body,
        attributes=dict(request.attributes or {}),
        status=TicketStatus.OPEN,
        group=None,
        rule=None,
        due_at=None,
        created_at=now,
        updated_at=now,
    )


def _open(
    uow: UnitOfWork,
    engine: Engine,
    release: Any,
    compiled: CompiledScript,
    ticket: Ticket,
    request: TicketRequest,
    actor: Actor,
) -> tuple[Ticket, list[WorkItem]]:
    """A new ticket: its workflow started and run until it waits, classified, written (on
    PostgreSQL every row of it in one round trip)."""
    now = ticket.created_at
    workflow = engine.runner.start(compiled, ticket.workflow_data())
    ran: list[Any] = []
    engine.runner.advance(workflow, ran)
    outcome = arrive(engine, compiled, workflow, TICKET_CHANNEL)
    journal = TicketJournal(ticket, now, actor.name)
    text = request.body or request.subject
    journal.message(
        "request", author="customer", role="customer", channel=ticket.channel, text=text
    )
    journal.entry("created", status=ticket.status.value, reason=f"opened by {ticket.channel}")
    left = [Left(e.element, e.name, e.kind) for e in ran]
    ticket = apply_workflow(engine, compiled, ticket, workflow, outcome, journal, left)
    instance, history = _instance_rows(engine, release, ticket, workflow, outcome, ran, actor)
    items = open_work_items(engine, compiled, ticket, workflow, journal, set())
    journal.emit(
        "created",
        channel=ticket.channel,
        type=ticket.type,
        category=ticket.category,
        subject=ticket.subject,
        script=ticket.script_key,
        version=ticket.version_number,
        rule=ticket.rule,
        due_at=iso(ticket.due_at),
    )
    journal.events.insert(0, journal.events.pop())  # "created" before what followed from it
    uow.tickets.write_rows(
        [
            (instances, [instance]),
            (history_table, history),
            (tickets, [ticket.as_row()]),
            (work_items, [work_item_row(item) for item in items]),
            (ticket_messages, journal.messages),
            (ticket_route, journal.route),
            (outbox, journal.events),
        ]
    )
    uow.after_commit(lambda: engine.live.put(ticket.instance_id, 0, workflow))
    for item in items:
        uow.entered_queue(item.group)
    return ticket, items


def _instance_rows(
    engine: Engine,
    release: Any,
    ticket: Ticket,
    workflow: Any,
    outcome: Any,
    ran: list[Any],
    actor: Actor,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ticket's workflow as an instance row (channel ``ticket``), and its history."""
    now = ticket.created_at
    session = first_session(
        engine,
        {**release, "number": ticket.version_number},
        workflow,
        outcome,
        now,
        session_id=ticket.instance_id,
        script=ticket.script_key,
        channel=TICKET_CHANNEL,
        customer_key=ticket.customer_key,
    )
    journal = Journal(session.id, ticket.script_key, TICKET_CHANNEL, now, actor.name)
    journal.note("started", actor=actor.name, answer=dumps({"ticket": ticket.number}))
    journal.ran(ran, "engine")
    journal.arrived(outcome)
    return session.as_row(), journal.history


def join_ticket(
    uow: UnitOfWork,
    engine: Engine,
    ticket: Ticket,
    request: TicketRequest,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """A new request about an open problem: its message is added, with its channel, to the
    open ticket; a ticket waiting for the customer's reply takes it as that reply."""
    journal = TicketJournal(ticket, now, actor.name)
    text = request.body or request.subject
    journal.message(
        "merged", author="customer", role="customer", channel=request.channel, text=text
    )
    journal.entry("merged", reason=f"the same customer, type and category by {request.channel}")
    journal.emit("merged", channel=request.channel, subject=request.subject)
    journal.write(uow)
    _customer_wrote(uow, engine, ticket, request.channel, text, actor)
    return ticket_view_in(uow, engine, ticket.id)


def _customer_wrote(
    uow: UnitOfWork, engine: Engine, ticket: Ticket, channel: str, text: str, actor: Actor
) -> None:
    """Remember the channel the customer last wrote in (events about the ticket tell them
    there), and deliver ``customer_reply`` if the workflow waits for it. Locks are taken in
    the order every transition takes them: the instance row, then the ticket row."""
    uow.instances.get(ticket.instance_id, for_update=True)
    uow.tickets.update(ticket.id, channel=channel, updated_at=engine.clock())
    payload = {"text": text, "channel": channel, "author": "customer"}
    try:
        resume(
            uow,
            engine,
            ticket.instance_id,
            deliver_message(CUSTOMER_REPLY, payload),
            actor=actor.name,
            event="message_received",
        )
    except NotWaitingForMessage:
        pass


def ticket_view_in(uow: UnitOfWork, engine: Engine, ticket_id: str) -> dict[str, Any]:
    """The ticket as it stands, with its open work items."""
    row = uow.tickets.get(ticket_id)
    if row is None:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    ticket = Ticket.from_row(row)
    rules = _rules_of(uow, engine, ticket)
    items = [WorkItem.from_row(r) for r in uow.work_items.of_ticket(ticket.id, open_only=True)]
    return ticket_view(ticket, rules, items)


def _rules_of(uow: UnitOfWork, engine: Engine, ticket: Ticket) -> Any:
    row = uow.instances.get_summary(ticket.instance_id)
    return engine.specs.get(uow, row["version_id"]).routing if row is not None else None


def add_comment(
    database: Database, engine: Engine, ticket_id: str, comment: Comment, actor: Actor
) -> dict[str, Any]:
    """Add a message to the ticket. The customer's (in a channel) also reaches the workflow
    if it waits for ``customer_reply``; a person's comment is only recorded."""
    if comment.channel is not None:
        check_channel(comment.channel)

    def comment_in(uow: UnitOfWork) -> dict[str, Any]:
        row = uow.tickets.get(ticket_id) if is_uuid(ticket_id) else None
        if row is None:
            raise TicketNotFound(f"ticket {ticket_id} not found")
        ticket = Ticket.from_row(row)
        channel = comment.channel or (ticket.channel if comment.by_customer else "note")
        journal = TicketJournal(ticket, engine.clock(), actor.name)
        author = "customer" if comment.by_customer else actor.name
        role = "customer" if comment.by_customer else actor.role
        journal.message("comment", author=author, role=role, channel=channel, text=comment.text)
        journal.emit("commented", author=author, role=role, channel=channel)
        journal.write(uow)
        if comment.by_customer:
            _customer_wrote(uow, engine, ticket, channel, comment.text, actor)
        return ticket_view_in(uow, engine, ticket_id)

    return calls_outside_the_lock(database, engine.calls, comment_in)
