"""Inbound messages over HTTP: to one session, or correlated by the external session key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify

from engine.events.inbound import post_message
from engine.events.known import KnownMessages
from engine.messages import send_to_session
from player.renderers import render
from player.requests import CorrelatedMessage, MessageToSession
from player.responses import MessageReceived, SessionStep
from web.auth import roles
from web.bodies import parse_body
from web.context import actor, services
from web.described import described

bp = Blueprint("messages", __name__, url_prefix="/api/v1")
SENDERS = ("operator", "bot")


@bp.post("/sessions/<session_id>/messages")
@roles(*SENDERS)
@described(
    summary="A message to one session",
    body=MessageToSession,
    responses={200: SessionStep},
    errors=(409, 502),
)
def to_session(session_id: str) -> Any:
    body = parse_body(MessageToSession)
    svc = services()
    view = send_to_session(
        svc.database,
        svc.engine,
        session_id,
        body.name,
        body.payload,
        actor().name,
        known=KnownMessages.of(svc.database),
    )
    return jsonify(render(view, view.channel))


@bp.post("/messages")
@roles(*SENDERS)
@described(
    summary="A message correlated by session key",
    body=CorrelatedMessage,
    responses={200: MessageReceived, 202: MessageReceived},
    errors=(404, 409, 502),
)
def correlated() -> Any:
    """200 when delivered (or a repeat of a message id), 202 when kept for a session that
    does not wait for it yet."""
    body = parse_body(CorrelatedMessage)
    svc = services()
    data = body.model_dump(exclude_none=True) | {"payload": body.payload, "sender": actor().name}
    keep_for = timedelta(seconds=svc.settings.events.early_message_ttl)
    known = KnownMessages.of(svc.database)
    message, received = post_message(svc.database, svc.engine, known, data, keep_for=keep_for)
    answer: dict[str, Any] = {
        "name": message.name,
        "message_id": message.message_id,
        "outcome": received.outcome,
        "delivered_to": list(received.delivered_to),
    }
    if received.kept_until is not None:
        answer["kept_until"] = received.kept_until.isoformat()
    return jsonify(answer), (202 if received.outcome == "kept" else 200)
