"""The event log (outbox) over HTTP, for consumers when Kafka is not configured."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from editor_api.requests import EventsPage
from engine.outbox import read_events
from web.auth import roles
from web.bodies import parse_query
from web.context import services

bp = Blueprint("events", __name__, url_prefix="/api/v1/events")


@bp.get("")
@roles("admin")
def index() -> Any:
    page = parse_query(EventsPage)
    with services().database.unit_of_work() as uow:
        events, cursor = read_events(uow, after=page.after, limit=page.limit)
    return jsonify({"events": events, "next": cursor})
