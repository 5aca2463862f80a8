"""Signals over HTTP: a broadcast to every open session waiting for it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.signals import broadcast_signal
from player.requests import SignalBody
from player.responses import SignalSent
from web.auth import roles
from web.bodies import parse_body
from web.context import actor, services
from web.described import described

bp = Blueprint("signals", __name__, url_prefix="/api/v1")


@bp.post("/signals/<name>")
@roles("admin", "bot")
@described(
    summary="A signal to every session waiting for it",
    body=SignalBody,
    responses={200: SignalSent},
    errors=(502,),
)
def send(name: str) -> Any:
    """200 with the sessions the signal reached (none waiting is not an error: a broadcast)."""
    body = parse_body(SignalBody)
    svc = services()
    reached = broadcast_signal(
        svc.database, svc.engine, name, body.payload, actor=actor().name, script_key=body.script
    )
    return jsonify({"signal": name, "delivered_to": reached})
