"""The event log (outbox) over HTTP, for consumers when Kafka is not configured, and the
contracts (JSON Schemas) of the events."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from editor_api.requests import EventsPage
from engine.errors import DoesNotExist
from engine.events.contracts import contracts
from engine.events.inbound import message_schema
from engine.outbox import read_events
from web.auth import roles
from web.bodies import parse_query
from web.context import services
from web.described import an_object, described

bp = Blueprint("events", __name__, url_prefix="/api/v1/events")


@bp.get("")
@roles("admin")
@described(
    summary="The event log after a cursor",
    query=EventsPage,
    responses={200: an_object("`events`, oldest first, and the `next` cursor.")},
    errors=(400,),
)
def index() -> Any:
    page = parse_query(EventsPage)
    with services().database.unit_of_work() as uow:
        events, cursor = read_events(uow, after=page.after, limit=page.limit)
    return jsonify({"events": events, "next": cursor})


@bp.get("/schemas")
@described(
    summary="Every event type's JSON Schema",
    responses={200: an_object("`schemas` by type and version, and `inbound`.")},
)
def schemas() -> Any:
    """Every event type's JSON Schema, by type and schema version, and the inbound
    message's (any signed-in role)."""
    return jsonify(
        {
            "schemas": [c.as_dict() for c in contracts().values()],
            "inbound": [{"type": "message", "schema_version": 1, "schema": message_schema()}],
        }
    )


@bp.get("/schemas/<kind>/<int:version>")
@described(
    summary="One event type's JSON Schema",
    responses={200: an_object("A JSON Schema document.")},
)
def schema(kind: str, version: int) -> Any:
    """One event type's JSON Schema at one version, as a plain JSON Schema document."""
    contract = contracts().get((kind, version))
    if contract is None:
        raise DoesNotExist(f"no schema for event type {kind!r} version {version}")
    return jsonify(contract.schema)
