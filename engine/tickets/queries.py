"""Reading tickets: one with its messages and work items, a keyset-paged list, the route."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from engine.errors import Detail, MalformedInput, TicketNotFound, ValidationFailed
from engine.persistence.database import Database, UnitOfWork
from engine.sessions import Engine
from engine.tickets.commands import ticket_view_in
from engine.tickets.model import STATUSES, Ticket, WorkItem, is_uuid, iso, utc
from engine.tickets.views import message_view, route_entry_view, ticket_view, work_item_view


def _load(uow: UnitOfWork, ticket_id: str) -> Ticket:
    row = uow.tickets.get(ticket_id) if is_uuid(ticket_id) else None
    if row is None:
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return Ticket.from_row(row)


def get_ticket(database: Database, engine: Engine, ticket_id: str) -> dict[str, Any]:
    """The ticket with its open work items, every work item it had, and its messages."""
    with database.unit_of_work() as uow:
        _load(uow, ticket_id)
        view = ticket_view_in(uow, engine, ticket_id)
        view["all_work_items"] = [
            work_item_view(WorkItem.from_row(r))
            for r in uow.work_items.of_ticket(ticket_id, open_only=False)
        ]
        view["messages"] = [message_view(r) for r in uow.tickets.messages(ticket_id)]
    return view


def encode_cursor(values: list[Any]) -> str:
    text = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong shape")
        return values
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedInput(
            f"bad cursor {cursor!r}", [Detail("after", "use the 'next' of a page")]
        ) from exc


def moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise MalformedInput("bad cursor", [Detail("after", "use the 'next' of a page")]) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_tickets(
    database: Database,
    *,
    customer_key: str | None,
    status: str | None,
    group: str | None,
    limit: int,
    after: str | None,
) -> dict[str, Any]:
    """Tickets newest first, filtered; ``next`` is the cursor of the following page."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(
            f"unknown status {status!r}; use one of {', '.join(STATUSES)}",
            [Detail("status", f"must be one of {', '.join(STATUSES)}")],
        )
    before = None
    if after:
        created, ticket_id = decode_cursor(after, 2)
        before = (moment(created), str(ticket_id))
    with database.unit_of_work() as uow:
        rows = uow.tickets.page(
            customer_key=customer_key, status=status, group=group, limit=limit + 1, before=before
        )
    tickets = [Ticket.from_row(r) for r in rows[:limit]]
    last = tickets[-1] if len(rows) > limit else None
    return {
        "items": [ticket_view(t) for t in tickets],
        "next": encode_cursor([iso(last.created_at), last.id]) if last else None,
    }


def ticket_route(database: Database, engine: Engine, ticket_id: str) -> dict[str, Any]:
    """Every move of the ticket, and the time its workflow spent in each element (from the
    instance's history), for the route map."""
    with database.unit_of_work() as uow:
        ticket = _load(uow, ticket_id)
        entries = [route_entry_view(r) for r in uow.tickets.route(ticket_id)]
        history = uow.history.for_instance(ticket.instance_id)
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "script": ticket.script_key,
        "version": ticket.version_number,
        "instance_id": ticket.instance_id,
        "entries": entries,
        "elements": element_times(history, engine.clock()),
    }


def element_times(history: Any, now: datetime) -> list[dict[str, Any]]:
    """Entered / left / seconds per element visit. An element the engine ran through in one
    go (a gateway, a script, a decision) is entered and left at once; one still waited at
    has no ``left_at`` and counts until now."""
    visits: list[dict[str, Any]] = []
    waiting: dict[str, dict[str, Any]] = {}
    for row in history:
        element, at = row["element"], utc(row["at"])
        if not element or at is None:
            continue
        if row["event"] == "entered":
            visit = {"element": element, "entered_at": at, "left_at": None}
            waiting[element] = visit
            visits.append(visit)
        elif row["event"] == "left":
            if element in waiting:
                waiting.pop(element)["left_at"] = at
            else:
                visits.append({"element": element, "entered_at": at, "left_at": at})
    return [
        {
            "element": v["element"],
            "entered_at": iso(v["entered_at"]),
            "left_at": iso(v["left_at"]),
            "seconds": round(((v["left_at"] or now) - v["entered_at"]).total_seconds(), 3),
        }
        for v in visits
    ]
