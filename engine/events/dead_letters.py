"""Dead letters: inbound messages that could not be delivered, kept with the reason.

A message that breaks its contract, names a message no script declares, carries a payload
that breaks the schema given for the message, targets a session that does not exist (or has
ended), or fails delivery again and again is written to the ``dead_letters`` table with an
outbox event in the same transaction; the relay sends that event to the dead-letter topic
(``cuebook.dead-letter``). Admins list them and retry one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.errors import CuebookError, Detail, DoesNotExist, ValidationFailed, WrongState
from engine.events.inbound import (
    InboundMessage,
    Received,
    Refused,
    admit,
    read_message,
    receive,
)
from engine.events.known import KnownMessages
from engine.events.metrics import DEAD_LETTERS
from engine.outbox import event_row
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.inbound import InboundRepository
from engine.sessions import Engine

DEAD_LETTER_TOPIC = "dead-letter"  # the relay prefixes it: cuebook.dead-letter
MAX_KEPT_TEXT = 64 * 1024


class DeadLetterNotFound(DoesNotExist):
    pass


class AlreadyRetried(WrongState):
    pass


@dataclass(frozen=True)
class Letter:
    """What to write: why, the error, where the message came from, and its raw bytes."""

    reason: str
    error: str
    source: str
    raw: bytes | None
    message_id: str | None = None
    attempts: int = 0


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", errors="replace")[:MAX_KEPT_TEXT]


def add_dead_letter(uow: UnitOfWork, letter: Letter, now: datetime) -> int:
    """Write the dead letter, its message id as seen, and its event; return its id."""
    inbound = InboundRepository(uow.conn)
    text = _text(letter.raw)
    letter_id = inbound.add_dead_letter(
        message_id=letter.message_id,
        reason=letter.reason,
        error=letter.error[:2000],
        source=letter.source[:300],
        message=text,
        attempts=letter.attempts,
        status="dead",
        created_at=now,
    )
    if letter.message_id:
        inbound.seen_as(letter.message_id, "dead_letter", now)
    data = {
        "dead_letter_id": letter_id,
        "message_id": letter.message_id,
        "reason": letter.reason,
        "error": letter.error[:2000],
        "source": letter.source[:300],
        "attempts": letter.attempts,
        "message": text,
    }
    row = event_row("message.dead_lettered", str(letter_id), data, now)
    uow.outbox.add_many([{**row, "topic": DEAD_LETTER_TOPIC}])
    DEAD_LETTERS.labels(letter.reason).inc()
    return letter_id


def as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "message_id": row["message_id"],
        "reason": row["reason"],
        "error": row["error"],
        "source": row["source"],
        "message": row["message"],
        "attempts": row["attempts"],
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
        "retried_at": row["retried_at"].isoformat() if row["retried_at"] else None,
        "retried_by": row["retried_by"],
    }


def list_dead_letters(
    uow: UnitOfWork, *, status: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    rows = InboundRepository(uow.conn).dead_letters(status, after, limit)
    return [as_dict(row) for row in rows]


def checked(raw: bytes | None, known: KnownMessages) -> InboundMessage:
    """The message, read and admitted (``admit``); ``Refused`` otherwise."""
    message = read_message(raw)
    admit(message, known)
    return message


def retry_dead_letter(
    database: Database,
    engine: Engine,
    known: KnownMessages,
    letter_id: int,
    *,
    actor: str,
    keep_for: timedelta,
) -> tuple[dict[str, Any], Received]:
    """Handle a dead letter's message again (its id's earlier sight does not count). On
    success it is marked retried; on failure it stays dead, one attempt more, and the
    error is raised (422 for a message still refused, else the delivery's own error)."""
    with database.unit_of_work() as uow:
        row = InboundRepository(uow.conn).dead_letter(letter_id)
    if row is None:
        raise DeadLetterNotFound(f"dead letter {letter_id} not found")
    if row["status"] != "dead":
        raise AlreadyRetried(f"dead letter {letter_id} was retried already")
    try:
        message = checked(row["message"].encode(), known)
        received = receive(database, engine, message, keep_for=keep_for, again=True)
    except Refused as exc:
        _failed(database, letter_id)
        raise ValidationFailed(
            f"the message is still refused: {exc.error}", [Detail("message", exc.reason)]
        ) from exc
    except CuebookError:
        _failed(database, letter_id)
        raise
    with database.unit_of_work() as uow:
        inbound = InboundRepository(uow.conn)
        inbound.update_dead_letter(
            letter_id, status="retried", retried_at=engine.clock(), retried_by=actor
        )
        done = inbound.dead_letter(letter_id)
    return as_dict(done), received


def _failed(database: Database, letter_id: int) -> None:
    with database.unit_of_work() as uow:
        inbound = InboundRepository(uow.conn)
        row = inbound.dead_letter(letter_id, for_update=True)
        if row is not None:
            inbound.update_dead_letter(letter_id, attempts=row["attempts"] + 1)
