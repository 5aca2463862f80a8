"""Events: every state change writes one to the outbox in the same transaction."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from engine.errors import Detail, MalformedInput

SCHEMA_VERSION = 1


def event_row(topic: str, key: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An outbox row: ``topic`` is the event kind (``session.started``), ``key`` the instance id."""
    event_id = str(uuid.uuid4())
    body = {
        "event_id": event_id,
        "schema_version": SCHEMA_VERSION,
        "type": topic,
        "key": key,
        "occurred_at": now.isoformat(),
        "data": payload,
    }
    return {
        "event_id": event_id,
        "topic": topic,
        "key": key,
        "payload": json.dumps(body, ensure_ascii=False, default=str),
        "created_at": now,
    }


def read_events(uow: Any, *, after: str, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Events after the cursor ``after`` (from a previous page; "" for the start), oldest
    first, and the cursor of this page's end: for consumers without Kafka."""
    tx, _, position = (after or "0.0").partition(".")
    try:
        cursor = (int(tx), int(position or 0))
    except ValueError as exc:
        raise MalformedInput(
            f"bad cursor {after!r}", [Detail("after", "use the 'next' of a page")]
        ) from exc
    rows = uow.outbox.since(cursor, limit)
    events = [
        {"position": r["id"], "topic": r["topic"], "key": r["key"], **json.loads(r["payload"])}
        for r in rows
    ]
    if rows:
        cursor = (rows[-1]["tx"] or 0, rows[-1]["id"])
    return events, f"{cursor[0]}.{cursor[1]}"
