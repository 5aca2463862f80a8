"""One ticket per customer problem: a request from the same customer with the same type and
category while one is open (not resolved or closed) and opened within the type's window
(groups.json ``types.<type>.dedup_window_hours``, 72 by default, 0: never merge) joins it.

Two concurrent requests for one problem must not open two tickets: before looking, a create
takes a lock on the problem's key for the rest of its transaction (a PostgreSQL advisory
transaction lock; SQLite's writers take turns anyway), so the second waits for the first to
commit and then finds its ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.bpmn.routing import RoutingRules
from engine.persistence.database import UnitOfWork
from engine.tickets.model import Ticket


def problem_key(customer_key: str, ticket_type: str, category: str) -> str:
    return "\x1f".join(("ticket", customer_key, ticket_type, category))


def look_up_problem(
    uow: UnitOfWork,
    rules: RoutingRules,
    customer_key: str,
    ticket_type: str,
    category: str,
    now: datetime,
) -> tuple[Ticket | None, int | None]:
    """Lock the problem's key, then: (the open ticket a new request joins, None), or (None,
    the counter value of the ticket to open). One round trip on PostgreSQL: a create's lock,
    look-up and number travel together."""
    hours = rules.dedup_window_hours(ticket_type)
    since = now - timedelta(hours=hours) if hours > 0 else None
    key = problem_key(customer_key, ticket_type, category)
    row, seq = uow.tickets.look_up_problem(key, customer_key, ticket_type, category, since)
    return (Ticket.from_row(row) if row is not None else None), seq
