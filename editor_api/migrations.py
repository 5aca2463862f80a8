"""Moving running sessions between versions of a script (a plan, or the move itself)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from editor_api.requests import MoveBody
from engine.sessions.moving import MoveRequest, move_sessions
from web.auth import roles
from web.bodies import parse_body
from web.context import actor, services
from web.described import an_object, described

bp = Blueprint("migrations", __name__, url_prefix="/api/v1/scripts")


@bp.post("/<key>/migrations")
@roles("methodologist")
@described(
    summary="Move running sessions to another version (or plan the move)",
    body=MoveBody,
    responses={200: an_object("Per waiting element: sessions, movable, blocked with reasons.")},
    errors=(404,),
)
def migrate(key: str) -> Any:
    body = parse_body(MoveBody)
    svc = services()
    request = MoveRequest(
        key=key,
        from_number=body.from_,
        to_number=body.to,
        element_map=dict(body.map),
        rename=dict(body.variables.rename),
        defaults=dict(body.variables.defaults),
        dry_run=body.dry_run,
    )
    plan = move_sessions(svc.database, svc.engine, request, actor=actor().name)
    return jsonify(plan.as_dict())
