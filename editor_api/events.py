"""The event log (outbox) over HTTP, for consumers when Kafka is not configured."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from engine.outbox import read_events
from web.auth import roles
from web.context import services

bp = Blueprint("events", __name__, url_prefix="/api/v1/events")


@bp.get("")
@roles("admin")
def index() -> Any:
    after = request.args.get("after", "")
    limit = min(max(request.args.get("limit", 100, type=int) or 100, 1), 1000)
    with services().database.unit_of_work() as uow:
        events, cursor = read_events(uow, after=after, limit=limit)
    return jsonify({"events": events, "next": cursor})
