"""Operator queues: conversations handed off by bots, oldest first, with their context."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.sessions import queue
from player.requests import QueuePage
from web.auth import roles
from web.bodies import parse_query
from web.context import services

bp = Blueprint("queues", __name__, url_prefix="/api/v1/queues")


@bp.get("/<group>")
@roles("operator")
def waiting(group: str) -> Any:
    page = parse_query(QueuePage)
    svc = services()
    items = queue(svc.database, svc.engine, group, limit=page.limit)
    return jsonify({"queue": group, "items": items})
