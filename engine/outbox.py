"""Events: every state change writes one to the outbox in the same transaction."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

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


def read_events(uow: Any, *, after: int, limit: int) -> list[dict[str, Any]]:
    """Events after ``after`` (an outbox position), oldest first: for consumers without Kafka."""
    return [
        {"position": r["id"], "topic": r["topic"], "key": r["key"], **json.loads(r["payload"])}
        for r in uow.outbox.since(after, limit)
    ]
