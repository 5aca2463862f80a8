"""The ticket as the use cases see it: a typed object over its row, and its work items.

A ticket is an instance of a routing script (its workflow lives in ``instances`` like a
session's, on channel ``ticket``) plus a ``tickets`` row that says where the problem stands:
group, status, due time. The use cases change the row only through
``engine/tickets/transitions.py``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from engine.customers import Identity


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def done(self) -> bool:
        return self in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


STATUSES = tuple(s.value for s in TicketStatus)


class WorkItemStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


def is_uuid(value: str) -> bool:
    """A ticket's or work item's id is a UUID in its canonical form."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite keeps no zone; its times are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    moment = utc(value)
    return moment.isoformat() if moment else None


@dataclass
class Ticket:
    """One ``tickets`` row, typed; ``attributes`` decoded."""

    id: str
    seq: int
    number: str
    instance_id: str
    script_key: str
    version_number: int
    customer_key: str
    channel: str
    type: str
    category: str
    subject: str
    body: str
    attributes: dict[str, Any]
    status: TicketStatus
    group: str | None
    rule: str | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Ticket:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["status"] = TicketStatus(values["status"])
        values["attributes"] = json.loads(values["attributes"] or "{}")
        for name in ("due_at", "created_at", "updated_at", "closed_at"):
            values[name] = utc(values[name])
        return cls(**values)

    def as_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["status"] = self.status.value
        row["attributes"] = json.dumps(self.attributes, ensure_ascii=False, default=str)
        return row

    @property
    def segment(self) -> str:
        value = self.attributes.get("segment")
        return str(value) if value else "regular"

    def workflow_data(self) -> dict[str, Any]:
        """What the routing workflow starts with. ``type`` is also given as ``ticket_type``:
        the sandbox refuses the name ``type`` in scripts, conditions and decision tables."""
        return {
            "ticket_id": self.id,
            "ticket_number": self.number,
            "customer_key": self.customer_key,
            "channel": self.channel,
            "type": self.type,
            "ticket_type": self.type,
            "category": self.category,
            "subject": self.subject,
            "body": self.body,
            "attributes": json.loads(json.dumps(self.attributes, default=str)),
            "segment": self.segment,
        }


@dataclass
class WorkItem:
    """One ``work_items`` row: a waiting user task of a ticket's workflow."""

    id: str
    ticket_id: str
    instance_id: str
    element: str
    title: str
    group: str
    status: WorkItemStatus
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> WorkItem:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["status"] = WorkItemStatus(values["status"])
        for name in ("due_at", "created_at", "claimed_at", "closed_at"):
            values[name] = utc(values[name])
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status is WorkItemStatus.OPEN


@dataclass(frozen=True)
class TicketRequest:
    """What a request to open a ticket carries (a customer key or an identity)."""

    channel: str
    type: str
    category: str = ""
    subject: str = ""
    body: str = ""
    attributes: dict[str, Any] | None = None
    script: str | None = None
    customer_key: str | None = None
    identity: Identity | None = None


@dataclass(frozen=True)
class Comment:
    """A message added to a ticket: by the customer (in a channel) or by a person at work."""

    author: str  # "customer", or anything else: an operator's comment
    text: str
    channel: str | None = None

    @property
    def by_customer(self) -> bool:
        return self.author == "customer"
