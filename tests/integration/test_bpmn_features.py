"""BPMN coverage: parallel and inclusive gateways, DMN, embedded subprocess with a caught
error, terminate end, timers (intermediate and boundary, fired by the worker), messages."""

from __future__ import annotations

import time
from typing import Any

import pytest

from engine.timers import fire_due_timers
from tests.conftest import BUNDLES, auth

FEATURES = BUNDLES / "features"
pytestmark = pytest.mark.smoke


def step(client: Any, token: str, view: dict[str, Any], answer: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(token),
    )


def fire_when_due(services: Any, expected: int = 1) -> int:
    deadline = time.monotonic() + 5
    fired = 0
    while time.monotonic() < deadline:
        fired += fire_due_timers(services.database, services.engine)
        if fired >= expected:
            return fired
        time.sleep(0.1)
    return fired


def history(client: Any, token: str, sid: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/sessions/{sid}/history", headers=auth(token)).get_json()["history"]


def test_gateways_dmn_timers_and_messages(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(FEATURES, key)
    op = tokens["operator"]
    view = client.post(
        "/api/v1/sessions", json={"script": key, "session_key": f"crm-{key}"}, headers=auth(op)
    ).get_json()
    sid = view["session_id"]
    view = step(client, op, view, {"n": 4}).get_json()
    assert view["step"]["id"] == "left"  # the parallel branch with a person; the other ran
    view = step(client, op, view, {}).get_json()
    # Joined, inclusive branches, DMN, subprocess: now waiting on the timer.
    assert view["status"] == "waiting"
    assert view["step"]["id"] == "pause" and view["step"]["kind"] == "wait"
    refused = step(client, op, view, {})
    assert refused.status_code == 409 and "event" in refused.get_json()["error"]["message"]
    left = [h["element"] for h in history(client, op, sid) if h["event"] == "left"]
    assert {"right", "join", "pos", "even", "incl_join", "classify", "sub"} <= set(left)

    assert fire_when_due(services) == 1
    view = client.get(f"/api/v1/sessions/{sid}", headers=auth(op)).get_json()
    assert view["step"]["id"] == "wait_crm"

    wrong = client.post(
        f"/api/v1/sessions/{sid}/messages", json={"name": "other"}, headers=auth(op)
    )
    assert wrong.status_code == 409
    sent = client.post(
        "/api/v1/messages",
        json={"name": "crm_update", "correlation_key": f"crm-{key}", "payload": {"status": "ok"}},
        headers=auth(op),
    )
    assert sent.status_code == 200 and sent.get_json()["delivered_to"] == [sid]
    view = client.get(f"/api/v1/sessions/{sid}", headers=auth(op)).get_json()
    assert view["step"]["id"] == "after"
    assert view["step"]["text"] == "small ok"

    assert fire_when_due(services) == 1  # the boundary timer interrupts "after"
    view = client.get(f"/api/v1/sessions/{sid}", headers=auth(op)).get_json()
    assert view["step"]["id"] == "slow"
    done = step(client, op, view, {}).get_json()
    assert done["status"] == "completed" and done["step"]["id"] == "end_timeout"
    timer_rows = [h for h in history(client, op, sid) if h["actor"] == "timer"]
    assert {h["element"] for h in timer_rows} >= {"pause", "after_timeout"}


def test_error_end_caught_by_boundary_and_terminate(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(FEATURES, key)
    op = tokens["operator"]
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
    view = step(client, op, view, {"n": 201}).get_json()
    view = step(client, op, view, {}).get_json()
    assert view["step"]["id"] == "pause"
    left = [h["element"] for h in history(client, op, view["session_id"]) if h["event"] == "left"]
    assert "sub_error" in left and "fixed" in left and "even" not in left

    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
    done = step(client, op, view, {"n": 13}).get_json()
    assert done["status"] == "completed"
    assert done["step"]["id"] == "stop"


def test_event_based_gateway_takes_the_reply_or_the_timeout(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "event_gateway", key)
    op = tokens["operator"]
    answered, silent = (
        client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
        for _ in range(2)
    )
    assert answered["step"]["id"] == "gw" and answered["status"] == "waiting"
    with services.database.unit_of_work() as uow:
        assert uow.instances.get_summary(silent["session_id"])["next_timer_at"] is not None
    reply = client.post(
        f"/api/v1/sessions/{answered['session_id']}/messages",
        json={"name": "customer_reply", "payload": {"text": "here"}},
        headers=auth(op),
    )
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["status"] == "completed"
    assert reply.get_json()["step"]["id"] == "end1"
    deadline = time.monotonic() + 10
    view = silent
    while view["status"] == "waiting":
        assert time.monotonic() < deadline, "the gateway's timer did not fire"
        fire_due_timers(services.database, services.engine)
        view = client.get(f"/api/v1/sessions/{silent['session_id']}", headers=auth(op)).get_json()
        time.sleep(0.1)
    assert view["status"] == "completed" and view["step"]["id"] == "end2"
