"""Inbound messages over HTTP: to one session, or correlated by the external session key."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.messages import send_correlated, send_to_session
from player.renderers import render
from player.requests import CorrelatedMessage, MessageToSession
from web.auth import roles
from web.bodies import parse_body
from web.context import actor, services

bp = Blueprint("messages", __name__, url_prefix="/api/v1")
SENDERS = ("operator", "bot")


@bp.post("/sessions/<session_id>/messages")
@roles(*SENDERS)
def to_session(session_id: str) -> Any:
    body = parse_body(MessageToSession)
    svc = services()
    view = send_to_session(
        svc.database, svc.engine, session_id, body.name, body.payload, actor().name
    )
    return jsonify(render(view, view.channel))


@bp.post("/messages")
@roles(*SENDERS)
def correlated() -> Any:
    body = parse_body(CorrelatedMessage)
    svc = services()
    delivered = send_correlated(
        svc.database, svc.engine, body.name, body.correlation_key, body.payload, actor().name
    )
    return jsonify({"name": body.name, "delivered_to": delivered}), (200 if delivered else 404)
