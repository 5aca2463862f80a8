"""Work items: the user tasks of tickets' workflows, taken from a group's queue by people.

claim     of two people claiming at once one wins; the other is told who has it (409)
release   back to the group's queue
transfer  to another group with a reason, by the one rule of moving a ticket
          (engine/tickets/transfer.py); the ticket and its open items move
complete  the user task's form answer, checked like a step's; the workflow runs on through
          the same step machinery as sessions (engine/sessions/transitions.py), and the
          ticket follows it (engine/tickets/transitions.py)
"""

from __future__ import annotations

import time
from typing import Any

from engine import metrics
from engine.bpmn.runner import Position
from engine.errors import (
    ClaimedByAnother,
    NotClaimed,
    WorkItemClosed,
    WorkItemNotFound,
)
from engine.persistence.database import Database, UnitOfWork
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Actor, Engine
from engine.sessions.answers import checked_answer
from engine.sessions.journal import Journal, dumps
from engine.sessions.loading import compiled_for, load_session
from engine.sessions.transitions import arrive, restore_to_change, save_transition
from engine.tickets.commands import ticket_view_in
from engine.tickets.journal import TicketJournal
from engine.tickets.model import Ticket, WorkItem, WorkItemStatus
from engine.tickets.transfer import move_ticket
from engine.tickets.views import queue_item_view, work_item_view


def load_item(uow: UnitOfWork, item_id: str) -> WorkItem:
    row = uow.work_items.get(item_id) if len(item_id) <= 36 else None
    if row is None:
        raise WorkItemNotFound(f"work item {item_id} not found")
    return WorkItem.from_row(row)


def _open_item(uow: UnitOfWork, item_id: str) -> WorkItem:
    item = load_item(uow, item_id)
    if not item.is_open:
        raise WorkItemClosed(f"work item {item_id} is {item.status.value}")
    return item


def _locked(uow: UnitOfWork, item_id: str) -> tuple[Any, WorkItem]:
    """The item's instance, locked, and the item read again under the lock (still open)."""
    session = load_session(uow, load_item(uow, item_id).instance_id, for_update=True)
    return session, _open_item(uow, item_id)


def _check_holder(item: WorkItem, actor: Actor, *, must_hold: bool) -> None:
    """Only the person holding an item (or an admin) acts on it; ``must_hold``: an unclaimed
    item must be claimed first."""
    if actor.role == "admin":
        return
    if item.assignee is None:
        if must_hold:
            raise NotClaimed(f"work item {item.id} is not claimed: claim it first")
        return
    if item.assignee != actor.name:
        raise ClaimedByAnother(
            f"work item {item.id} is claimed by {item.assignee}", extra={"assignee": item.assignee}
        )


def _ticket(uow: UnitOfWork, item: WorkItem) -> Ticket:
    row = uow.tickets.get(item.ticket_id)
    assert row is not None  # a work item's ticket exists (foreign key)
    return Ticket.from_row(row)


def claim(database: Database, engine: Engine, item_id: str, actor: Actor) -> dict[str, Any]:
    with database.unit_of_work() as uow:
        return claim_in(uow, engine, item_id, actor)


def claim_in(uow: UnitOfWork, engine: Engine, item_id: str, actor: Actor) -> dict[str, Any]:
    """``claim`` inside the caller's unit of work (an accepted offer claims this way)."""
    item = _open_item(uow, item_id)
    now = engine.clock()
    if not uow.work_items.claim(item_id, actor.name, now):
        holder = load_item(uow, item_id)
        if not holder.is_open:
            raise WorkItemClosed(f"work item {item_id} is {holder.status.value}")
        raise ClaimedByAnother(
            f"work item {item_id} is claimed by {holder.assignee}",
            extra={"assignee": holder.assignee},
        )
    item.assignee, item.claimed_at = actor.name, now
    journal = TicketJournal(_ticket(uow, item), now, actor.name)
    journal.entry("claimed", to_group=item.group, element=item.element)
    journal.work_item_event("claimed", item, assignee=actor.name)
    journal.write(uow)
    return work_item_view(item)


def release(database: Database, engine: Engine, item_id: str, actor: Actor) -> dict[str, Any]:
    with database.unit_of_work() as uow:
        item = _open_item(uow, item_id)
        _check_holder(item, actor, must_hold=True)
        uow.work_items.update(item_id, assignee=None, claimed_at=None)
        uow.entered_queue(item.group)
        holder, item.assignee, item.claimed_at = item.assignee, None, None
        journal = TicketJournal(_ticket(uow, item), engine.clock(), actor.name)
        journal.entry("released", from_group=item.group, element=item.element)
        journal.work_item_event("released", item, previous_assignee=holder)
        journal.write(uow)
        return work_item_view(item)


def transfer(
    database: Database, engine: Engine, item_id: str, group: str, reason: str, actor: Actor
) -> dict[str, Any]:
    """Move the item's ticket to ``group`` (the rule of engine/tickets/transfer.py): 422 for a
    group the routing rules do not know, 409 with the reason for a move they forbid."""
    with database.unit_of_work() as uow:
        session, item = _locked(uow, item_id)
        _check_holder(item, actor, must_hold=False)
        ticket = _ticket(uow, item)
        move_ticket(uow, engine, session, ticket, group, reason, actor, item.element)
        return ticket_view_in(uow, engine, ticket.id)


def complete(
    database: Database, engine: Engine, item_id: str, answer: Any, actor: Actor
) -> dict[str, Any]:
    """Complete the item's user task with the form's answer and run the workflow on."""
    return calls_outside_the_lock(
        database, engine.calls, lambda uow: complete_in(uow, engine, item_id, answer, actor)
    )


def complete_in(
    uow: UnitOfWork, engine: Engine, item_id: str, answer: Any, actor: Actor
) -> dict[str, Any]:
    session, item = _locked(uow, item_id)
    _check_holder(item, actor, must_hold=True)
    compiled = compiled_for(uow, engine, session)
    workflow = restore_to_change(engine, compiled, session)
    task = engine.runner.waiting_task(workflow, item.id)
    if task is None:
        raise WorkItemClosed(f"work item {item_id}: its task no longer waits")
    spec = compiled.steps.get(task.task_spec.name)
    if spec is None:
        raise WorkItemClosed(f"work item {item_id}: element {item.element} is not a user task")
    answer = checked_answer(spec, answer, task.data)
    started = time.perf_counter()
    ran: list[Any] = []
    engine.runner.complete(workflow, task, answer, ran)
    outcome = arrive(engine, compiled, workflow, session.channel)
    now = engine.clock()
    journal = Journal(session.id, session.script_key, session.channel, now, actor.name)
    journal.note(
        "left",
        element=spec.id,
        name=spec.title,
        kind=spec.kind,
        actor=actor.name,
        answer=dumps(answer),
    )
    journal.ran(ran, "engine")
    uow.work_items.update(
        item.id, status=WorkItemStatus.DONE.value, closed_at=now, closed_by=actor.name
    )
    item.status, item.closed_at, item.closed_by = WorkItemStatus.DONE, now, actor.name
    done = TicketJournal(_ticket(uow, item), now, actor.name)
    done.entry("completed", from_group=item.group, element=item.element)
    done.work_item_event("completed", item, answer=answer)
    done.write(uow)
    save_transition(uow, engine, session, workflow, outcome, journal)
    metrics.step_timed(session.script_key, session.version_number, time.perf_counter() - started)
    return ticket_view_in(uow, engine, item.ticket_id)


def get_work_item(database: Database, engine: Engine, item_id: str) -> dict[str, Any]:
    """The item with its form (title, text, JSON Schema, UI schema) as the task shows it."""
    with database.unit_of_work() as uow:
        item = load_item(uow, item_id)
        view = work_item_view(item)
        view["ticket"] = ticket_view_in(uow, engine, item.ticket_id)
        if item.is_open:
            session = load_session(uow, item.instance_id, for_update=False)
            compiled = compiled_for(uow, engine, session)
            workflow = engine.runner.restore(compiled, session.state)
            task = engine.runner.waiting_task(workflow, item.id)
            if task is not None:
                view["form"] = _form(engine, compiled, task)
        return view


def _form(engine: Engine, compiled: Any, task: Any) -> dict[str, Any]:
    position = Position("waiting", task=task, step_spec=compiled.steps.get(task.task_spec.name))
    step = engine.runner.describe(compiled, position, dict(task.data))
    return {
        "element": step.id,
        "title": step.title,
        "text": step.text,
        "hints": step.hints,
        "kind": step.kind,
        "schema": step.schema,
        "ui_schema": step.ui_schema,
    }


def assigned_to(database: Database, engine: Engine, assignee: str, limit: int) -> dict[str, Any]:
    """The open items a person holds, the soonest due first."""
    now = engine.clock()
    with database.unit_of_work() as uow:
        rows = uow.work_items.assigned(assignee, limit)
    return {"assignee": assignee, "items": [queue_item_view(r, now) for r in rows]}
