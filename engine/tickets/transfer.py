"""Moving a ticket to another group by a person: one rule for a ticket and for its work item.

A ticket may be moved whether or not a work item is open on it (one waiting for the
customer, one just classified). The routing script decides: a group its ``groups.json`` does
not list is refused (422 naming it), a move the current group's ``transfers_to`` forbids is
refused with the reason (409), and so is a move of a resolved or closed ticket, or of one
whose work item another person holds. A move is a
``transferred`` route entry, a ``ticket.transferred`` event, the ticket's open work items in
the new group's queue (unclaimed), and the workflow's ``group`` set to the new group, so the
diagram (the next SLA count, the next decision) sees where the ticket is.
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.routing import RoutingRules
from engine.errors import (
    ClaimedByAnother,
    Detail,
    TicketNotFound,
    TransferRefused,
    ValidationFailed,
)
from engine.persistence.database import Database, UnitOfWork
from engine.sessions import Actor, Engine, Session
from engine.sessions.journal import Journal
from engine.sessions.loading import compiled_for, load_session
from engine.sessions.transitions import arrive, restore_to_change, save_transition
from engine.tickets.commands import ticket_view_in
from engine.tickets.journal import TicketJournal
from engine.tickets.model import Ticket, is_uuid
from engine.tickets.transitions import save_ticket


def transfer_ticket(
    database: Database, engine: Engine, ticket_id: str, group: str, reason: str, actor: Actor
) -> dict[str, Any]:
    """Move the ticket to ``group`` for ``reason``; returns the ticket as it then stands."""
    with database.unit_of_work() as uow:
        found = uow.tickets.get(ticket_id) if is_uuid(ticket_id) else None
        if found is None:
            raise TicketNotFound(f"ticket {ticket_id} not found")
        session = load_session(uow, found["instance_id"], for_update=True)
        ticket = Ticket.from_row(uow.tickets.get(ticket_id))  # read again under the lock
        _check_not_held_by_another(uow, ticket, actor)
        move_ticket(uow, engine, session, ticket, group, reason, actor, session.current_element)
        return ticket_view_in(uow, engine, ticket.id)


def _check_not_held_by_another(uow: UnitOfWork, ticket: Ticket, actor: Actor) -> None:
    """A ticket someone else is working on moves only by them (or an admin), as its work
    item would."""
    if actor.role == "admin":
        return
    for row in uow.work_items.of_ticket(ticket.id, open_only=True):
        holder = row["assignee"]
        if holder is not None and holder != actor.name:
            raise ClaimedByAnother(
                f"ticket {ticket.number} is being worked on by {holder}", extra={"assignee": holder}
            )


def transfer_refusal(rules: RoutingRules, ticket: Ticket, group: str) -> str | None:
    """Why ``ticket`` may not move to ``group`` (None: it may); an unknown group raises."""
    if not rules.knows(group):
        raise ValidationFailed(
            f"unknown group {group!r}; script {ticket.script_key} routes to "
            + ", ".join(sorted(rules.groups)),
            [Detail("group", f"unknown group {group!r}")],
        )
    if ticket.status.done:
        return f"the ticket is {ticket.status.value}: it cannot move to another group"
    if group == ticket.group:
        return f"the ticket is in group {group} already"
    return rules.transfer_refusal(ticket.group, group)


def move_ticket(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    ticket: Ticket,
    group: str,
    reason: str,
    actor: Actor,
    element: str | None,
) -> None:
    """Check and make the move, inside the caller's transaction with the instance locked.
    ``element``: where the workflow stands (the work item's task, or the waiting element)."""
    compiled = compiled_for(uow, engine, session)
    rules = compiled.routing
    if rules is None or session.ended:
        ended = f"the ticket is {ticket.status.value}: its routing workflow has ended"
        raise TransferRefused(ended, [Detail("group", ended)])
    refusal = transfer_refusal(rules, ticket, group)
    if refusal is not None:
        raise TransferRefused(refusal, [Detail("group", refusal)])
    now = engine.clock()
    after = Ticket(**{**ticket.__dict__, "group": group})
    journal = TicketJournal(after, now, actor.name)
    journal.entry(
        "transferred", from_group=ticket.group, to_group=group, reason=reason, element=element
    )
    journal.emit(
        "transferred", from_group=ticket.group, to_group=group, reason=reason, actor=actor.name
    )
    save_ticket(uow, ticket, after, journal)
    journal.write(uow)
    workflow = restore_to_change(engine, compiled, session)
    engine.runner.set_variable(workflow, "group", group)
    outcome = arrive(engine, compiled, workflow, session.channel)
    history = Journal(session.id, session.script_key, session.channel, now, actor.name)
    history.note(
        "transferred", element=element or "", kind=group[:60], actor=actor.name, text=reason or None
    )
    save_transition(uow, engine, session, workflow, outcome, history, moved=False)
