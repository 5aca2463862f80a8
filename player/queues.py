"""Operator queues: conversations handed off by bots, oldest first, with their context."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from engine.sessions import queue
from web.auth import roles
from web.context import services

bp = Blueprint("queues", __name__, url_prefix="/api/v1/queues")


@bp.get("/<group>")
@roles("operator")
def waiting(group: str) -> Any:
    limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), 200)
    svc = services()
    items = queue(svc.database, svc.engine, group, limit=limit)
    return jsonify({"queue": group, "items": items})
