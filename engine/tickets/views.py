"""Tickets and work items as the API shows them (plain dicts, times in ISO 8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.bpmn.routing import RoutingRules
from engine.tickets.model import Ticket, WorkItem, iso, utc


def ticket_view(
    ticket: Ticket,
    rules: RoutingRules | None = None,
    work_items: list[WorkItem] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status.value,
        "group": ticket.group,
        "group_title": rules.group_title(ticket.group) if rules else "",
        "rule": ticket.rule,
        "due_at": iso(ticket.due_at),
        "script": ticket.script_key,
        "version": ticket.version_number,
        "instance_id": ticket.instance_id,
        "customer_key": ticket.customer_key,
        "channel": ticket.channel,
        "type": ticket.type,
        "category": ticket.category,
        "subject": ticket.subject,
        "body": ticket.body,
        "attributes": ticket.attributes,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "closed_at": iso(ticket.closed_at),
    }
    if work_items is not None:
        view["work_items"] = [work_item_view(item) for item in work_items]
    return view


def work_item_view(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "ticket_id": item.ticket_id,
        "element": item.element,
        "title": item.title,
        "group": item.group,
        "status": item.status.value,
        "assignee": item.assignee,
        "due_at": iso(item.due_at),
        "created_at": iso(item.created_at),
        "claimed_at": iso(item.claimed_at),
        "closed_at": iso(item.closed_at),
        "closed_by": item.closed_by,
    }


def queue_item_view(row: Any, now: datetime) -> dict[str, Any]:
    """A work item in a group's queue: what it is, whose problem, how urgent."""
    created = utc(row["created_at"])
    return {
        "kind": "work_item",
        "work_item_id": row["id"],
        "ticket_id": row["ticket_id"],
        "number": row["number"],
        "title": row["title"],
        "element": row["element"],
        "group": row["group"],
        "due_at": iso(row["due_at"]),
        "created_at": iso(created),
        "wait_seconds": round((now - created).total_seconds(), 1) if created else 0.0,
        "subject": row["subject"],
        "type": row["type"],
        "category": row["category"],
        "customer_key": row["customer_key"],
        "channel": row["channel"],
        "ticket_status": row["ticket_status"],
        "assignee": row["assignee"],
    }


def route_entry_view(row: Any) -> dict[str, Any]:
    return {
        "at": iso(row["at"]),
        "event": row["event"],
        "actor": row["actor"],
        "from_group": row["from_group"],
        "to_group": row["to_group"],
        "element": row["element"],
        "rule": row["rule"],
        "reason": row["reason"],
        "status": row["status"],
    }


def message_view(row: Any) -> dict[str, Any]:
    return {
        "at": iso(row["at"]),
        "kind": row["kind"],
        "author": row["author"],
        "role": row["role"],
        "channel": row["channel"],
        "text": row["text"],
    }
