"""Inbound messages, from Kafka or ``POST /api/v1/messages``, by one rule: ``admit`` (the
name is one a deployed script declares, the payload fits the schemas given for it), then
``receive``: dropped when its id was seen before, delivered to one session by id or to every
open session whose session key is the correlation key and which waits for the message, or
kept for a while when no session waits for it yet (``early.py``).

The message id is recorded in the same transaction as the delivery (or the keeping), so a
message is handled once however often it arrives; a consumer commits its offset only after
that transaction committed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.exc import DBAPIError

from engine.errors import (
    CuebookError,
    Detail,
    DoesNotExist,
    NotWaitingForMessage,
    SessionEnded,
    SessionNotFound,
    ValidationFailed,
)
from engine.events.contracts import SCHEMAS
from engine.events.known import KnownMessages
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
    """A message that cannot be delivered, ever: it goes to the dead letters with ``reason``
    (over HTTP: the error ``as_error`` gives)."""

    def __init__(
        self,
        reason: str,
        error: str,
        message_id: str | None = None,
        details: list[Detail] | None = None,
    ) -> None:
        super().__init__(error)
        self.reason = reason
        self.error = error
        self.message_id = message_id
        self.details = details or []

    def as_error(self) -> CuebookError:
        if self.reason == "no_such_session":
            return SessionNotFound(self.error)
        if self.reason == "session_ended":
            return SessionEnded(self.error)
        return ValidationFailed(self.error, self.details or [Detail("message", self.reason)])


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
    return message_from(data)


def message_from(data: Any) -> InboundMessage:
    """The message a JSON value holds; ``Refused("invalid", ...)`` if it breaks the contract."""
    message_id = data.get("message_id") if isinstance(data, dict) else None
    message_id = message_id if isinstance(message_id, str) and message_id else None
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = [_contract_detail(data, error) for error in errors]
        first = details[0]
        raise Refused("invalid", f"{first.path}: {first.message}", message_id, details)
    return InboundMessage(
        message_id=data["message_id"],
        name=data["name"],
        correlation_key=data.get("correlation_key"),
        session_id=data.get("session_id"),
        payload=data.get("payload"),
        sender=data.get("sender", ""),
    )


def _contract_detail(data: Any, error: Any) -> Detail:
    if error.validator == "oneOf" and isinstance(data, dict):
        if "correlation_key" in data:
            return Detail("session_id", "give correlation_key or session_id, not both")
        return Detail("correlation_key", "required field is missing")
    path = "/".join(str(p) for p in error.absolute_path)
    if not path and error.validator == "required" and isinstance(data, dict):
        path = next((k for k in error.validator_value if k not in data), "")
    return Detail(path or "(message)", error.message)


def admit(message: InboundMessage, known: KnownMessages) -> None:
    """The door of every message, over HTTP or Kafka: its name must be declared by a deployed
    script and its payload must fit the schemas given for it; ``Refused`` otherwise."""
    if not known.knows(message.name):
        error = f"no script declares a message named {message.name!r}"
        raise Refused("unknown_message", error, message.message_id, [Detail("name", error)])
    details = known.payload_problems(message.name, message.payload)
    if details:
        error = "the payload does not fit the message's schema: " + "; ".join(
            f"{d.path}: {d.message}" for d in details
        )
        raise Refused("invalid_payload", error, message.message_id, details)


def deliver_in(
    uow: UnitOfWork,
    engine: Engine,
    message: InboundMessage,
    open_sessions: Sequence[str] | None = None,
) -> list[str]:
    """Deliver to every target session waiting for the message, in this transaction; return
    the ids it reached. A session by id that does not exist or has ended is ``Refused``.
    ``open_sessions``: the open sessions of the correlation key, when read already."""
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
        if open_sessions is None:
            open_sessions = uow.instances.open_by_session_key(message.correlation_key or "")
        targets = sorted(open_sessions)
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
    kept_until: datetime | None = None


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
    received = calls_outside_the_lock(
        database, engine.calls, lambda uow: _receive_in(uow, engine, message, keep_for, again)
    )
    if received.outcome == "kept":
        EARLY.labels("kept").inc()
    return received


def _receive_in(
    uow: UnitOfWork,
    engine: Engine,
    message: InboundMessage,
    keep_for: timedelta,
    again: bool,
    read: _BatchReads | None = None,
) -> Received:
    now = engine.clock()
    inbound = InboundRepository(uow.conn)
    if read is not None:
        if not read.first_sight(message.message_id):
            return Received("duplicate")
    elif again:
        inbound.seen_as(message.message_id, "delivered", now)
    elif not inbound.first_sight(message.message_id, "delivered", now):
        return Received("duplicate")
    delivered = deliver_in(uow, engine, message, read.open_sessions(message) if read else None)
    if delivered:
        return Received("delivered", tuple(delivered))
    keep(inbound, message, now, keep_for)
    inbound.seen_as(message.message_id, "kept", now)
    return Received("kept", kept_until=now + keep_for)


class _BatchReads:
    """What a batch reads once for all its messages: which ids are new (recorded as seen in
    one statement) and the open sessions of its correlation keys (one query)."""

    def __init__(self, uow: UnitOfWork, messages: Sequence[InboundMessage], now: datetime) -> None:
        inbound = InboundRepository(uow.conn)
        self._fresh = inbound.first_sights([m.message_id for m in messages], "delivered", now)
        keys = {m.correlation_key for m in messages if m.correlation_key is not None}
        self._sessions = inbound.open_by_session_keys(sorted(keys)) if keys else {}

    def first_sight(self, message_id: str) -> bool:
        """True once for an id not seen before the batch (a second copy is a repeat)."""
        if message_id not in self._fresh:
            return False
        self._fresh.discard(message_id)
        return True

    def open_sessions(self, message: InboundMessage) -> list[str] | None:
        if message.correlation_key is None:
            return None
        return self._sessions.get(message.correlation_key, [])


class _Stopped(Exception):
    """A message of a batch that cannot be handled with the others: the batch ends before it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def receive_many(
    database: Database, engine: Engine, messages: Sequence[InboundMessage], *, keep_for: timedelta
) -> list[Received]:
    """Handle messages in order, as ``receive`` would one by one, but in one transaction (one
    commit for them all). Returns the outcomes of the messages handled, a prefix of
    ``messages``: the batch ends before a message that fails (refused, an error) or reaches
    a service task, which the caller then handles on its own with ``receive`` (so every call
    is made once, outside the locks); after a database error (a deadlock between two
    batches) none is handled. Nothing of a failed attempt stays."""
    count = len(messages)
    while count:
        batch = messages[:count]
        try:
            received = calls_outside_the_lock(
                database, engine.calls, partial(_receive_all, engine, batch, keep_for)
            )
        except _Stopped as stop:
            count = stop.index
            continue
        except Exception:  # a database error, too many calls for one transaction: one by one
            return []
        EARLY.labels("kept").inc(sum(r.outcome == "kept" for r in received))
        return received
    return []


def _receive_all(
    engine: Engine, messages: Sequence[InboundMessage], keep_for: timedelta, uow: UnitOfWork
) -> list[Received]:
    read = _BatchReads(uow, messages, engine.clock())
    received: list[Received] = []
    for message in messages:
        outcome = _received_or_none(uow, engine, message, keep_for, read)
        if outcome is None:
            # Raised outside the handler, so that no CallNeeded is among its causes: the
            # call is made when the message is handled on its own.
            raise _Stopped(len(received))
        received.append(outcome)
    return received


def _received_or_none(
    uow: UnitOfWork,
    engine: Engine,
    message: InboundMessage,
    keep_for: timedelta,
    read: _BatchReads,
) -> Received | None:
    try:
        return _receive_in(uow, engine, message, keep_for, False, read)
    except DBAPIError:
        raise
    except Exception:  # refused, failed, or stopped at a service task
        return None


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


def post_message(
    database: Database,
    engine: Engine,
    known: KnownMessages,
    data: dict[str, Any],
    *,
    keep_for: timedelta,
) -> tuple[InboundMessage, Received]:
    """A message over HTTP (the inbound topic's contract; without a ``message_id`` it gets
    one of its own): read, admitted and received exactly as the topic's, a refusal raised as
    the domain's error (422 naming the field, the name or the payload's fields; 404; 409)."""
    try:
        message = message_from({"message_id": f"http-{uuid.uuid4()}", **data})
        admit(message, known)
        return message, receive(database, engine, message, keep_for=keep_for)
    except Refused as exc:
        raise exc.as_error() from exc
