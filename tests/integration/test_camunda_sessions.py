"""Imported Camunda 7 models run start to end: forms, JUEL gateways, a DMN decision with its
result mapping, a candidate group's handoff queue, and a placeholder for a Java delegate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from importers.camunda import import_camunda, write_bundle
from tests.conftest import FIXTURES, auth

MODELS = FIXTURES / "camunda"


def bundle(name: str, tmp_path: Path) -> Path:
    out = tmp_path / name.split(".")[0]
    result = import_camunda(MODELS / name)
    assert result.report.validation == []
    write_bundle(result, out)
    return out


def start(client: Any, token: str, key: str, channel: str = "web") -> dict[str, Any]:
    resp = client.post(
        "/api/v1/sessions", json={"script": key, "channel": channel}, headers=auth(token)
    )
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def step(client: Any, token: str, view: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(token),
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


APPLICATION = {
    "customer_name": "Ann Lee",
    "amount": 5000,
    "purpose": "home",
    "employed": True,
    "start_date": "2026-01-10",
    "branch": "Main street",
}


def test_loan_approval_runs_through_its_forms_and_juel_gateways(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, tmp_path: Path
) -> None:
    deploy(bundle("loan_approval.bpmn", tmp_path), key)
    op = tokens["operator"]
    view = start(client, op, key)
    assert view["step"]["id"] == "application" and view["step"]["kind"] == "form"
    refused = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {**APPLICATION, "amount": 50}},
        headers=auth(op),
    )
    assert refused.status_code == 422  # min 100 from camunda:constraint
    view = step(client, op, view, APPLICATION)
    assert view["step"]["id"] == "review"  # ${amount > 1000 && not empty customer_name}
    done = step(client, op, view, {"approved": False, "comment": "income too low"})
    assert done["status"] == "completed" and done["step"]["id"] == "rejected_end"

    small = start(client, op, key)
    done = step(client, op, small, {**APPLICATION, "amount": 200})
    assert done["status"] == "completed" and done["step"]["id"] == "auto_approved"


def test_a_candidate_group_is_the_queue_a_bot_hands_the_step_to(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, tmp_path: Path
) -> None:
    deploy(bundle("loan_approval.bpmn", tmp_path), key)
    view = start(client, tokens["bot"], key, channel="chat")
    assert view["status"] == "handed_off"
    assert view["handoff"]["queue"] == "loan_officers"


def test_dish_decision_runs_the_converted_dmn(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, tmp_path: Path
) -> None:
    deploy(bundle("dish_decision", tmp_path), key)
    op = tokens["operator"]
    cases = [
        ({"season": "Winter", "guest_count": 4}, "Spareribs"),
        ({"season": "Winter", "guest_count": 12}, "Pasta"),
        ({"season": "Summer", "guest_count": 5}, "Light salad and a nice steak"),
        ({"season": "Spring", "guest_count": 30}, "Stew"),
        ({"season": "Summer", "guest_count": 30}, "Steak"),
    ]
    for answer, dish in cases:
        view = step(client, op, start(client, op, key), answer)
        assert view["step"]["id"] == "serve"
        history = client.get(f"/api/v1/sessions/{view['session_id']}/history", headers=auth(op))
        assert "decide" in [h["element"] for h in history.get_json()["history"]], dish
        done = step(client, op, view, {})
        assert done["status"] == "completed"


def test_a_replaced_delegate_passes_and_the_translated_expression_runs(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, tmp_path: Path
) -> None:
    deploy(bundle("service_tasks.bpmn", tmp_path), key)
    op = tokens["operator"]
    resp = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"customer_id": "c1", "limit": 100}},
        headers=auth(op),
    )
    assert resp.status_code in (200, 201), resp.get_json()
    view = resp.get_json()
    assert view["status"] == "completed"
    history = client.get(f"/api/v1/sessions/{view['session_id']}/history", headers=auth(op))
    left = [h["element"] for h in history.get_json()["history"] if h["event"] == "left"]
    assert left == [
        "start", "score", "notify", "double", "archive", "crm", "http_call", "mail", "end",
    ]  # fmt: skip


def test_a_camunda_form_with_options_from_a_variable_runs(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, tmp_path: Path
) -> None:
    deploy(bundle("camunda_forms", tmp_path), key)
    op = tokens["operator"]
    branches = [{"label": "North", "value": "north"}, {"label": "South", "value": "south"}]
    resp = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"branches": branches}},
        headers=auth(op),
    )
    view = resp.get_json()
    assert view["step"]["id"] == "start_form"
    answer = {"customer_name": "Ann", "category": "quality", "branch": "west"}
    refused = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(op),
    )
    assert refused.status_code == 422  # not one of the variable's options
    view = step(client, op, view, {**answer, "branch": "south"})
    assert view["step"]["id"] == "confirm"
    view = step(client, op, view, {"resolved": True})
    assert view["step"]["id"] == "legacy"
    assert step(client, op, view, {})["status"] == "completed"
