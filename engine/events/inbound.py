"""Inbound messages from Kafka: read against their contract, dropped when seen before,
delivered exactly as ``POST /api/v1/messages`` delivers (to one session by id, or to every
open session whose session key is the correlation key and which waits for the message),
or kept for a while when no session waits for them yet (``early.py``).

The message id is recorded in the same transaction as the delivery (or the keeping), so a
message is handled once however often it arrives; a consumer commits its offset only after
that transaction committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import DoesNotExist, NotWaitingForMessage
from engine.events.contracts import SCHEMAS
from engine.events.metrics import EARLY
from engine.messages import deliver_message
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.inbound import InboundRepository
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Engine, resume
from engine.sessions.loading import load_session

MESSAGE_SCHEMA = SCHEMAS / "inbound" / "message.v1.json"
MAX_MESSAGE_BYTES = 1 << 20


class Refused(Exception):
    """A message that cannot be delivered, ever: it goes to the dead letters with ``reason``."""

    def __init__(self, reason: str, error: str, message_id: str | None = None) -> None:
        super().__init__(error)
        self.reason = reason
        self.error = error
        self.message_id = message_id


@dataclass(frozen=True)
class InboundMessage:
    message_id: str
    name: str
    correlation_key: str | None
    session_id: str | None
    payload: Any
    sender: str

    @property
    def actor(self) -> str:
        return self.sender or "kafka"


@cache
def message_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(MESSAGE_SCHEMA.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(message_schema())


def read_message(raw: bytes | None) -> InboundMessage:
    """The message in a record's value; ``Refused("invalid", ...)`` if it breaks the contract."""
    if raw is None or len(raw) > MAX_MESSAGE_BYTES:
        raise Refused("invalid", "the record has no value" if raw is None else "over 1 MiB")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused("invalid", f"not JSON: {exc}") from exc
    message_id = data.get("message_id") if isinstance(data, dict) else None
    message_id = message_id if isinstance(message_id, str) and message_id else None
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(message)"
        text = errors[0].message
        if errors[0].validator == "oneOf":
            text = "needs exactly one of correlation_key and session_id"
        raise Refused("invalid", f"{where}: {text}", message_id)
    return InboundMessage(
        message_id=data["message_id"],
        name=data["name"],
        correlation_key=data.get("correlation_key"),
        session_id=data.get("session_id"),
        payload=data.get("payload"),
        sender=data.get("sender", ""),
    )


def deliver_in(uow: UnitOfWork, engine: Engine, message: InboundMessage) -> list[str]:
    """Deliver to every target session waiting for the message, in this transaction; return
    the ids it reached. A session by id that does not exist or has ended is ``Refused``."""
    if message.session_id is not None:
        try:
            session = load_session(uow, message.session_id, for_update=False)
        except DoesNotExist as exc:
            raise Refused("no_such_session", exc.message, message.message_id) from exc
        if session.ended:
            raise Refused(
                "session_ended",
                f"session {message.session_id} has ended",
                message.message_id,
            )
        targets = [message.session_id]
    else:
        targets = sorted(uow.instances.open_by_session_key(message.correlation_key or ""))
    delivered = []
    for session_id in targets:  # in id order: two deliveries never lock in opposite orders
        trigger = deliver_message(message.name, message.payload)
        try:
            view = resume(
                uow, engine, session_id, trigger, actor=message.actor, event="message_received"
            )
        except NotWaitingForMessage:
            continue
        if view is not None:
            delivered.append(session_id)
    return delivered


@dataclass(frozen=True)
class Received:
    outcome: str  # delivered | kept | duplicate
    delivered_to: tuple[str, ...] = ()


def receive(
    database: Database,
    engine: Engine,
    message: InboundMessage,
    *,
    keep_for: timedelta,
    again: bool = False,
) -> Received:
    """Handle one message in one transaction (service calls outside its locks): a repeat of
    a message id is dropped (unless ``again``, a dead letter's retry); else it is delivered,
    or kept for ``keep_for`` if no session waits for it yet."""

    def use_case(uow: UnitOfWork) -> Received:
        now = engine.clock()
        inbound = InboundRepository(uow.conn)
        if again:
            inbound.seen_as(message.message_id, "delivered", now)
        elif not inbound.first_sight(message.message_id, "delivered", now):
            return Received("duplicate")
        delivered = deliver_in(uow, engine, message)
        if delivered:
            return Received("delivered", tuple(delivered))
        keep(inbound, message, now, keep_for)
        inbound.seen_as(message.message_id, "kept", now)
        return Received("kept")

    received = calls_outside_the_lock(database, engine.calls, use_case)
    if received.outcome == "kept":
        EARLY.labels("kept").inc()
    return received


def keep(
    inbound: InboundRepository, message: InboundMessage, now: datetime, keep_for: timedelta
) -> None:
    inbound.keep(
        message_id=message.message_id,
        name=message.name,
        correlation_key=message.correlation_key,
        session_id=message.session_id,
        payload=json.dumps(message.payload, ensure_ascii=False),
        sender=message.sender,
        received_at=now,
        expires_at=now + keep_for,
    )
