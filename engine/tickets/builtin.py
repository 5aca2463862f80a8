"""``cuebook.create_ticket``: a service task of any script (a bot's, an operator's) opens a
ticket, or joins the customer's open ticket of the same problem, and gets back its number.

    <spiffworkflow:serviceTaskOperator id="cuebook.create_ticket" resultVariable="ticket">
      <spiffworkflow:parameters>
        <spiffworkflow:parameter id="customer_key" type="str" value="customer"/>
        <spiffworkflow:parameter id="channel" type="str" value="'chat'"/>
        <spiffworkflow:parameter id="type" type="str" value="'complaint'"/>
        ...

The result variable holds ``{"ticket_id", "number", "merged", "status", "group",
"due_at"}``, so the next step can say ``Your request is {{ ticket.number }}``. Like every
built-in it runs outside the step's transaction: the ticket is opened in its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bpmn.compiler import FunctionInfo
from engine.customers import identity
from engine.errors import Detail, ValidationFailed
from engine.persistence.database import Database
from engine.sessions import Actor, Engine
from engine.tickets.commands import create_ticket
from engine.tickets.model import TicketRequest

TEXT_PARAMETERS = (
    "customer_key",
    "identity_kind",
    "identity_value",
    "channel",
    "type",
    "category",
    "subject",
    "body",
    "script",
)

CREATE_TICKET = FunctionInfo(
    name="cuebook.create_ticket",
    parameters=(*TEXT_PARAMETERS, "attributes"),
    required=("channel", "type"),
)

SCRIPT_ACTOR = Actor("script", "bot")


def _text(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", [Detail(name, "must be text")])
    return value


def request_from(args: dict[str, Any]) -> TicketRequest:
    """The parameters of a service task as a ticket request (errors name the parameter)."""
    text = {name: _text(args, name) for name in TEXT_PARAMETERS}
    attributes = args.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise ValidationFailed(
            "attributes must be an object", [Detail("attributes", "must be an object")]
        )
    found = None
    if text["identity_kind"] or text["identity_value"]:
        found = identity(text["identity_kind"] or "", text["identity_value"] or "")
    return TicketRequest(
        channel=text["channel"] or "",
        type=text["type"] or "",
        category=text["category"] or "",
        subject=text["subject"] or "",
        body=text["body"] or "",
        attributes=attributes,
        script=text["script"] or None,
        customer_key=text["customer_key"] or None,
        identity=found,
    )


def ticket_opener(
    database: Database, engine: Engine, default_script: str
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The implementation bound to ``cuebook.create_ticket`` by the composition root."""

    def run(args: dict[str, Any]) -> dict[str, Any]:
        view, merged = create_ticket(
            database, engine, request_from(args), SCRIPT_ACTOR, default_script=default_script
        )
        return {
            "ticket_id": view["id"],
            "number": view["number"],
            "merged": merged,
            "status": view["status"],
            "group": view["group"],
            "due_at": view["due_at"],
        }

    return run
