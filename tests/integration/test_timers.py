"""The worker's timer pass: date timers fire; one failing instance does not stop the rest."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.timers import fire_due_timers
from tests.conftest import BUNDLES, auth

pytestmark = pytest.mark.smoke


def test_a_date_timer_fires_and_a_failing_one_is_marked_failed(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "timers", key)
    bot = auth(tokens["bot"])
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    good = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"when": soon, "divisor": 2}},
        headers=bot,
    ).get_json()
    bad = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"when": soon, "divisor": 0}},
        headers=bot,
    ).get_json()
    assert good["step"]["id"] == "at_date" and bad["step"]["id"] == "at_date"

    with services.database.unit_of_work() as uow:
        assert uow.instances.get_summary(good["session_id"])["next_timer_at"] is not None
    for _ in range(50):  # other tests' timers share the database: run passes until both moved
        fire_due_timers(services.database, services.engine)
        moved = client.get(f"/api/v1/sessions/{good['session_id']}", headers=bot).get_json()
        failed = client.get(f"/api/v1/sessions/{bad['session_id']}", headers=bot).get_json()
        if moved["step"]["id"] == "after" and failed["status"] == "failed":
            break
        time.sleep(0.1)
    assert moved["step"]["id"] == "after"
    assert failed["status"] == "failed"
    with services.database.unit_of_work() as uow:
        row = uow.instances.get_summary(bad["session_id"])
    assert "division by zero" in row["error"].lower() and row["next_timer_at"] is None
    assert (
        fire_due_timers(services.database, services.engine) >= 0
    )  # the failed one is not picked again
    with services.database.unit_of_work() as uow:
        assert uow.instances.get_summary(bad["session_id"])["status"] == "failed"
