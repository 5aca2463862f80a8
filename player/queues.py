"""A group's queue: handed-off conversations and open work items of tickets together, each
with its ``kind``, most urgent first (due time, then age), keyset-paged (``next``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.tickets import group_queue
from player.requests import QueuePage
from player.responses import QueuePageOut
from web.auth import roles
from web.bodies import parse_query
from web.context import services
from web.described import described

bp = Blueprint("queues", __name__, url_prefix="/api/v1/queues")


@bp.get("/<group>")
@roles("operator")
@described(summary="A group's queue", query=QueuePage, responses={200: QueuePageOut}, errors=(400,))
def waiting(group: str) -> Any:
    page = parse_query(QueuePage)
    svc = services()
    return jsonify(group_queue(svc.database, svc.engine, group, limit=page.limit, after=page.after))
