"""Sessions of the timers bundle waiting on one due instant (worker and scale-out tests)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

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
