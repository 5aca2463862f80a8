"""The groups of a routing script as clients list them: for a transfer form, a queue picker.

``script_groups``  the published version's groups (GET /api/v1/groups?script=...)
``ticket_groups``  the groups of the version a ticket runs on, each marked whether the
                   ticket may be moved there now (the transfer rule of engine/tickets/transfer.py)
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.routing import GroupSpec, RoutingRules
from engine.errors import TicketNotFound
from engine.persistence.database import Database
from engine.sessions import Engine
from engine.tickets.commands import routing_script
from engine.tickets.model import Ticket, is_uuid
from engine.tickets.transfer import transfer_refusal


def group_view(spec: GroupSpec) -> dict[str, Any]:
    calendar = spec.calendar
    return {
        "key": spec.name,
        "title": spec.title,
        "timezone": str(calendar.get("timezone") or "") if calendar else None,
        "calendar": calendar,
        "transfers_to": list(spec.transfers_to) if spec.transfers_to is not None else None,
    }


def _groups(rules: RoutingRules) -> list[dict[str, Any]]:
    return sorted(
        (group_view(spec) for spec in rules.groups.values()),
        key=lambda g: (g["title"].casefold(), g["key"]),
    )


def script_groups(database: Database, engine: Engine, script: str) -> dict[str, Any]:
    """The groups of the routing script's published version, by title."""
    with database.unit_of_work() as uow:
        release, compiled = routing_script(uow, engine, script)
    rules = compiled.routing
    assert rules is not None
    return {
        "script": release["key"],
        "version": release["number"],
        "fallback_group": rules.fallback_group,
        "groups": _groups(rules),
    }


def ticket_groups(database: Database, engine: Engine, ticket_id: str) -> dict[str, Any]:
    """The groups of the ticket's version; ``transfer`` says whether the ticket may move there
    now, ``refusal`` why not."""
    with database.unit_of_work() as uow:
        row = uow.tickets.get(ticket_id) if is_uuid(ticket_id) else None
        if row is None:
            raise TicketNotFound(f"ticket {ticket_id} not found")
        ticket = Ticket.from_row(row)
        summary = uow.instances.get_summary(ticket.instance_id)
        rules = engine.specs.get(uow, summary["version_id"]).routing if summary else None
    groups = _groups(rules) if rules is not None else []
    for group in groups:
        refusal = transfer_refusal(rules, ticket, group["key"]) if rules else None
        group["transfer"], group["refusal"] = refusal is None, refusal
    return {
        "ticket_id": ticket.id,
        "script": ticket.script_key,
        "version": ticket.version_number,
        "group": ticket.group,
        "groups": groups,
    }
