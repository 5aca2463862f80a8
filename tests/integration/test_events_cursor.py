"""Paging the event log never skips an event whose transaction commits late."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.outbox import event_row, read_events
from engine.persistence.tables import outbox
from tests.support.waiting import tries


def test_a_late_commit_is_not_skipped(services: Any, is_postgres: bool, key: str) -> None:
    if not is_postgres:
        pytest.skip("SQLite commits one writer at a time: insertion order is commit order")
    db = services.database
    now = datetime.now(UTC)
    with db.unit_of_work() as uow:
        _, cursor = read_events(uow, after="", limit=1000)
        for _ in tries(1000, "the end of the event log"):
            page, nxt = read_events(uow, after=cursor, limit=1000)
            if not page:
                break
            cursor = nxt
    slow = db.engine.connect()
    slow_tx = slow.begin()
    slow.execute(
        outbox.insert(),
        [event_row("test.slow", key, {}, now)],
    )
    with db.unit_of_work() as uow:
        uow.outbox.add_many([event_row("test.fast", key, {}, now)])
    with db.unit_of_work() as uow:
        seen, cursor_mid = read_events(uow, after=cursor, limit=1000)
    assert [e["type"] for e in seen if e["key"] == key] == []  # the fast one waits for the slow
    slow_tx.commit()
    slow.close()
    with db.unit_of_work() as uow:
        seen, _ = read_events(uow, after=cursor_mid, limit=1000)
    assert [e["type"] for e in seen if e["key"] == key] == ["test.slow", "test.fast"]
