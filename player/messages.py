"""Inbound messages over HTTP: to one session, or correlated by the external session key."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.messages import send_correlated, send_to_session
from player.renderers import render
from web.auth import roles
from web.bodies import field, json_object
from web.context import actor, services

bp = Blueprint("messages", __name__, url_prefix="/api/v1")
SENDERS = ("operator", "bot")


@bp.post("/sessions/<session_id>/messages")
@roles(*SENDERS)
def to_session(session_id: str) -> Any:
    body = json_object()
    name = field(body, "name", str, required=True)
    svc = services()
    view = send_to_session(
        svc.database, svc.engine, session_id, name, body.get("payload"), actor().name
    )
    return jsonify(render(view, view.channel))


@bp.post("/messages")
@roles(*SENDERS)
def correlated() -> Any:
    body = json_object()
    name = field(body, "name", str, required=True)
    key = field(body, "correlation_key", str, required=True)
    svc = services()
    delivered = send_correlated(
        svc.database, svc.engine, name, key, body.get("payload"), actor().name
    )
    return jsonify({"name": name, "delivered_to": delivered}), (200 if delivered else 404)
