"""Sessions of the timers bundle waiting on one due instant, and how often their timers
fired (worker, scale-out and database restart tests)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import history, outbox
from tests.conftest import auth


def start_timer_sessions(
    client: Any, token: str, key: str, count: int, when: datetime
) -> list[str]:
    """``count`` sessions of the timers bundle, all waiting on one due instant."""
    ids = []
    for _ in range(count):
        resp = client.post(
            "/api/v1/sessions",
            json={"script": key, "variables": {"when": when.isoformat(), "divisor": 2}},
            headers=auth(token),
        )
        assert resp.status_code == 201, resp.get_json()
        view = resp.get_json()
        assert view["step"]["id"] == "at_date", view
        ids.append(view["session_id"])
    return ids


def due_after_starting(client: Any, token: str, key: str, count: int) -> datetime:
    """A due instant far enough ahead that ``count`` sessions start before it, on a busy
    machine too: one start is timed (with a due time that never comes) and the lead scaled."""
    far = datetime.now(UTC) + timedelta(days=1)
    began = time.monotonic()
    start_timer_sessions(client, token, key, 1, far)
    one = time.monotonic() - began
    return datetime.now(UTC) + timedelta(seconds=max(2.0, 3 * count * one + 1.0))


def timers_fired(services: Any, ids: list[str]) -> tuple[Counter[Any], Counter[Any]]:
    """(history rows the timer wrote, events) per session."""
    rows = sa.select(history.c.instance_id, history.c.element).where(
        history.c.instance_id.in_(ids), history.c.actor == "timer", history.c.event == "left"
    )
    events = sa.select(outbox.c.key).where(
        outbox.c.key.in_(ids), outbox.c.topic == "session.timer_fired"
    )
    with services.database.engine.connect() as conn:
        left = Counter(tuple(row) for row in conn.execute(rows))
        fired = Counter(conn.execute(events).scalars())
    return left, fired


def assert_each_timer_fired_once(services: Any, ids: list[str]) -> None:
    left, fired = timers_fired(services, ids)
    for sid in ids:
        assert left[(sid, "at_date")] == 1, f"session {sid}: the timer left at_date {left}"
        assert left[(sid, "compute")] == 1, f"session {sid}: compute ran {left}"
        assert fired[sid] == 1, f"session {sid}: {fired[sid]} session.timer_fired events"
    assert sum(left.values()) == 2 * len(ids) and sum(fired.values()) == len(ids)
