"""The one write of a ticket's new state, and the hook that keeps a ticket in step with its
routing workflow whatever moved it (a completed work item, a timer, a customer's reply).

``follow_instance`` is an engine transition hook: every transition of an instance calls it
inside its transaction, before the instance's state is written. For a ticket's instance it
reads the workflow's variables (engine/tickets/routing.py), writes the ticket row if it
changed, and makes the open work items match the user tasks the workflow waits at: one
open work item per READY user task, in the ticket's group, due when the ticket is due.
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.compiler import CompiledScript
from engine.persistence.database import UnitOfWork
from engine.sessions import Engine, Session
from engine.sessions.journal import Journal, Outcome
from engine.tickets.journal import TicketJournal
from engine.tickets.model import Ticket, WorkItem, WorkItemStatus
from engine.tickets.routing import GROUP, Left, follow, read


def follow_instance(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    workflow: Any,
    outcome: Outcome,
    journal: Journal,
) -> None:
    """Transition hook: a ticket's instance moved; move the ticket with it."""
    if not session.is_ticket:
        return
    row = uow.tickets.by_instance(session.id)
    if row is None:
        return
    before = Ticket.from_row(row)
    compiled = engine.specs.get(uow, session.version_id)
    tickets = TicketJournal(before, journal.now, journal.actor or "engine")
    left = [
        Left(r["element"], r["name"], r["kind"])
        for r in journal.history
        if r["event"] == "left" and r["element"]
    ]
    after = apply_workflow(engine, compiled, before, workflow, outcome, tickets, left)
    save_ticket(uow, before, after, tickets)
    _still_open, opened = sync_work_items(uow, engine, compiled, after, workflow, tickets)
    tickets.write(uow, [work_item_row(item) for item in opened])
    for item in opened:
        uow.entered_queue(item.group)


def apply_workflow(
    engine: Engine,
    compiled: CompiledScript,
    ticket: Ticket,
    workflow: Any,
    outcome: Outcome,
    journal: TicketJournal,
    left: list[Left],
) -> Ticket:
    """The ticket as the workflow now says; the workflow's ``group`` set to the ticket's."""
    rules = compiled.routing
    if rules is None:  # a routing script always has rules; an old version may lack them
        return ticket
    data = engine.runner.data_of(workflow, outcome.position)
    after = follow(ticket, read(data), rules, journal, ended=outcome.status.ended, left=left)
    if data.get(GROUP) != after.group:
        engine.runner.set_variable(workflow, GROUP, after.group)
    return after


def save_ticket(uow: UnitOfWork, before: Ticket, after: Ticket, journal: TicketJournal) -> None:
    """Write the columns that changed (and ``updated_at``)."""
    old, new = before.as_row(), after.as_row()
    changed = {k: v for k, v in new.items() if old[k] != v and k != "updated_at"}
    if changed:
        changed["updated_at"] = journal.now
        after.updated_at = journal.now
        uow.tickets.update(after.id, **changed)


def sync_work_items(
    uow: UnitOfWork,
    engine: Engine,
    compiled: CompiledScript,
    ticket: Ticket,
    workflow: Any,
    journal: TicketJournal,
    *,
    known: list[WorkItem] | None = None,
) -> tuple[list[WorkItem], list[WorkItem]]:
    """Open work items = READY user tasks: the items that stay open (updated here) and the
    ones to open (for the caller to write with the journal). ``known``: the open items
    already read (an empty list for a new ticket saves the query)."""
    if known is None:
        known = [WorkItem.from_row(r) for r in uow.work_items.of_ticket(ticket.id, open_only=True)]
    ready = {str(t.id) for t in engine.runner.human_tasks(workflow)}
    still_open = []
    for item in known:
        if item.id not in ready:
            _close(uow, item, WorkItemStatus.CANCELLED, journal)
            journal.work_item_event("cancelled", item)
            continue
        _follow_ticket(uow, item, ticket)
        still_open.append(item)
    opened = open_work_items(engine, compiled, ticket, workflow, journal, {i.id for i in known})
    return still_open, opened


def open_work_items(
    engine: Engine,
    compiled: CompiledScript,
    ticket: Ticket,
    workflow: Any,
    journal: TicketJournal,
    known: set[str],
) -> list[WorkItem]:
    """New work items for the READY user tasks not in ``known`` (not written here)."""
    opened = [
        _new_item(compiled, ticket, task, journal)
        for task in engine.runner.human_tasks(workflow)
        if str(task.id) not in known
    ]
    for item in opened:
        journal.work_item_event("opened", item, title=item.title)
    return opened


def _close(uow: UnitOfWork, item: WorkItem, status: WorkItemStatus, journal: TicketJournal) -> None:
    item.status, item.closed_at, item.closed_by = status, journal.now, journal.actor
    uow.work_items.update(
        item.id, status=status.value, closed_at=journal.now, closed_by=journal.actor
    )


def _follow_ticket(uow: UnitOfWork, item: WorkItem, ticket: Ticket) -> None:
    """An open item sits in the ticket's group and is due when it is; a move to another
    group puts it back in that group's queue, unclaimed."""
    values: dict[str, Any] = {}
    if item.due_at != ticket.due_at:
        values["due_at"] = item.due_at = ticket.due_at
    if item.group != ticket.group and ticket.group is not None:
        values.update(group=ticket.group, assignee=None, claimed_at=None)
        item.group, item.assignee, item.claimed_at = ticket.group, None, None
    if values:
        uow.work_items.update(item.id, **values)
        if "group" in values:
            uow.entered_queue(item.group)


def _new_item(
    compiled: CompiledScript, ticket: Ticket, task: Any, journal: TicketJournal
) -> WorkItem:
    spec = compiled.steps.get(task.task_spec.name)
    element = task.task_spec.bpmn_id or task.task_spec.name
    return WorkItem(
        id=str(task.id),
        ticket_id=ticket.id,
        instance_id=ticket.instance_id,
        element=element,
        title=(spec.title if spec else "") or element,
        group=ticket.group or "",
        status=WorkItemStatus.OPEN,
        assignee=None,
        due_at=ticket.due_at,
        created_at=journal.now,
    )


def work_item_row(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "ticket_id": item.ticket_id,
        "instance_id": item.instance_id,
        "element": item.element,
        "title": item.title[:300],
        "group": item.group,
        "status": item.status.value,
        "assignee": item.assignee,
        "due_at": item.due_at,
        "created_at": item.created_at,
    }
