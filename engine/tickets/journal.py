"""What a change to a ticket leaves behind: route entries, messages and outbox events.

The route is the ticket's own history (classified, merged, transferred, escalated, claimed,
released, completed, status_changed, ...) with time, actor, groups, element, rule and
reason; events go to the outbox in the same transaction as the change, keyed by ticket id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.outbox import event_row
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import outbox, ticket_messages, ticket_route, work_items
from engine.tickets.model import Ticket, WorkItem, iso


class TicketJournal:
    """Route entries, messages and events of one change to one ticket, collected, then written."""

    def __init__(self, ticket: Ticket, now: datetime, actor: str) -> None:
        self.ticket = ticket
        self.now = now
        self.actor = actor
        self.route: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def entry(self, event: str, **values: Any) -> None:
        row: dict[str, Any] = {
            "ticket_id": self.ticket.id,
            "at": self.now,
            "event": event,
            "actor": self.actor,
            "from_group": None,
            "to_group": None,
            "element": None,
            "rule": None,
            "reason": None,
            "status": None,
        }
        row.update(values)
        self.route.append(row)

    def message(self, kind: str, *, author: str, role: str, channel: str, text: str) -> None:
        self.messages.append(
            {
                "ticket_id": self.ticket.id,
                "at": self.now,
                "kind": kind,
                "author": author,
                "role": role,
                "channel": channel,
                "text": text,
            }
        )

    def emit(self, kind: str, **data: Any) -> None:
        """A ``ticket.<kind>`` event (``kind`` with a dot names its own topic: ``work_item.x``)."""
        ticket = self.ticket
        topic = kind if "." in kind else f"ticket.{kind}"
        payload = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "customer_key": ticket.customer_key,
            "group": ticket.group,
            "status": ticket.status.value,
            **data,
        }
        self.events.append(event_row(topic, ticket.id, payload, self.now))

    def work_item_event(self, kind: str, item: WorkItem, **data: Any) -> None:
        self.emit(
            f"work_item.{kind}",
            work_item_id=item.id,
            element=item.element,
            group=item.group,
            due_at=iso(item.due_at),
            **data,
        )

    def write(self, uow: UnitOfWork, new_work_items: list[dict[str, Any]] | None = None) -> None:
        """Everything collected, with the rows of ``new_work_items``: one round trip on
        PostgreSQL (``TicketRepository.write_rows``)."""
        uow.tickets.write_rows(
            [
                (work_items, new_work_items or []),
                (ticket_messages, self.messages),
                (ticket_route, self.route),
                (outbox, self.events),
            ]
        )
        self.messages, self.route, self.events = [], [], []
