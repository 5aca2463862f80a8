"""`cuebook import spiffarena`: a SpiffArena repository deployed, then its scripts walked
through the API on every channel."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cuebook.cli import main
from tests.conftest import FIXTURES, auth
from tests.integration.test_cli import cli_env  # noqa: F401  (fixture)

REPOSITORY = FIXTURES / "spiffarena"
IMPORTED = [
    "sales/callback-booking",
    "sales/survey",
    "sales/upsell-offer",
    "support/billing/dynamic-tariff",
    "support/billing/refund-request",
    "support/complaint-intake",
    "support/identify-customer",
    "support/outage-check",
]


@pytest.fixture()
def repository(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the fixture repository one folder down, so each test's keys are its own."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    shutil.copytree(REPOSITORY, tmp_path / prefix)
    return tmp_path, prefix


def _import(root: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["import", "spiffarena", str(root), *extra])


def start(client: Any, token: str, key: str, **extra: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/sessions", json={"script": key, **extra}, headers=auth(token))
    assert resp.status_code == 201, resp.get_json()
    return dict(resp.get_json())


def step(client: Any, token: str, view: dict[str, Any], **reply: Any) -> Any:
    return client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], **reply},
        headers=auth(token),
    )


def test_a_repository_imports_with_a_report_and_exit_3_for_the_skipped(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
) -> None:
    root, prefix = repository
    result = _import(root)
    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    for path in IMPORTED:
        key = f"{prefix}-{path.replace('/', '-')}"
        assert f"{prefix}/{path}: deployed as {key} v1" in lines, result.output
    skipped = {line.split(": skipped: ")[0]: line for line in lines if ": skipped: " in line}
    assert set(skipped) == {
        f"{prefix}/drafts/Old_Model",
        f"{prefix}/drafts/calls-elsewhere",
        f"{prefix}/drafts/writes-file",
    }
    assert "script key" in skipped[f"{prefix}/drafts/Old_Model"]
    assert "Process_contract_check_not_here" in result.output
    assert "writes-file.bpmn: Activity_1: script: line 1: 'open' is not allowed" in result.output
    assert lines[-1] == "8 of 11 process models imported, 3 skipped"
    again = _import(root)
    assert f"{prefix}/sales/survey: unchanged as {prefix}-sales-survey v1" in again.output


def test_a_clean_tree_imports_with_exit_0_and_published(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
    client: Any,
    tokens: dict[str, str],
) -> None:
    root, prefix = repository
    result = _import(root / prefix / "sales", "--publish")
    assert result.exit_code == 0, result.output
    assert "survey: deployed as survey v1, published" in result.output
    scripts = client.get("/api/v1/scripts", headers=auth(tokens["admin"])).get_json()["scripts"]
    found = {s["key"]: s for s in scripts if s["key"] in ("survey", "upsell-offer")}
    assert found["survey"]["title"] == "After-sale survey"
    assert found["survey"]["published_version"] == 1


def _published(root: Path, prefix: str) -> None:
    result = _import(root, "--publish")
    assert result.exit_code == 3, result.output


def test_dynamic_options_on_the_web_and_in_chat(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
    client: Any,
    tokens: dict[str, str],
) -> None:
    root, prefix = repository
    _published(root, prefix)
    key = f"{prefix}-support-billing-dynamic-tariff"
    op = tokens["operator"]
    view = start(client, op, key)
    assert view["step"]["kind"] == "choice"
    assert view["step"]["field"] == "tariff"
    assert [(o["value"], o["label"]) for o in view["step"]["options"]] == [
        ("home100", "Home 100"),
        ("home500", "Home 500"),
        ("max1000", "Max 1000"),
    ]
    refused = step(client, op, view, answer={"tariff": "gold"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["path"] == "tariff"
    view = step(client, op, view, answer={"tariff": "max1000"}).get_json()
    assert view["step"]["id"] == "Activity_confirm_tariff"
    assert view["step"]["text"] == (
        "The customer moves to **max1000** at 990 a month from the first of next month."
    )
    view = step(client, op, view, answer={}).get_json()
    assert view["status"] == "completed"
    assert view["step"]["text"] == "Tariff changed to max1000. Thank you!"

    bot = tokens["bot"]
    chat = client.post(
        "/api/v1/sessions?render=chat",
        json={"script": key, "channel": "chat"},
        headers=auth(bot),
    ).get_json()
    assert [b["label"] for b in chat["buttons"]] == ["Home 100", "Home 500", "Max 1000"]
    ivr = client.get(
        f"/api/v1/sessions/{chat['session_id']}?render=ivr", headers=auth(bot)
    ).get_json()
    assert ivr["dtmf"] == {"1": "home100", "2": "home500", "3": "max1000"}
    chat = client.post(
        f"/api/v1/sessions/{chat['session_id']}/steps?render=chat",
        json={"step_token": chat["step_token"], "text": "Max 1000"},
        headers=auth(bot),
    ).get_json()
    assert chat["messages"][0]["text"].startswith("The customer moves to max1000")


def test_call_activity_into_another_model_and_dmn(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
    client: Any,
    tokens: dict[str, str],
) -> None:
    root, prefix = repository
    _published(root, prefix)
    op = tokens["operator"]
    view = start(client, op, f"{prefix}-support-complaint-intake")
    assert view["step"]["id"] == "Activity_ask_contract"
    assert view["step"]["text"] == "May I have your contract number, please?"
    view = step(client, op, view, answer={"contract": "100234567"}).get_json()
    assert view["step"]["text"] == "Thank you, Anna Petrova. What went wrong?"
    assert view["step"]["schema"]["title"] == "Complaint from Anna Petrova"  # form as Jinja
    answer = {"category": "network", "complaint": "No internet since Monday", "repeated": False}
    view = step(client, op, view, answer=answer).get_json()
    assert view["status"] == "completed"
    assert view["step"]["text"] == (
        "Anna Petrova, your complaint is registered with medium priority."
    )


def test_manual_and_plain_tasks_with_pre_and_post_scripts(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
    client: Any,
    tokens: dict[str, str],
) -> None:
    root, prefix = repository
    _published(root, prefix)
    op = tokens["operator"]
    view = start(client, op, f"{prefix}-sales-callback-booking", variables={"start_hour": 9})
    assert view["step"]["kind"] == "message"
    assert view["step"]["text"] == ("Good morning! I am calling about your request for a callback.")
    view = step(client, op, view, answer={}).get_json()
    assert view["step"]["id"] == "Activity_pick_slot"
    answer = {"phone": "+79161234567", "callback_date": "2027-03-01", "slot": "pm"}
    view = step(client, op, view, answer=answer).get_json()
    assert view["step"]["id"] == "Activity_confirm"  # a plain bpmn:task waits for the person
    assert view["step"]["text"] == "We will call +79161234567 on 2027-03-01 in the afternoon."
    view = step(client, op, view, answer={}).get_json()
    assert view["status"] == "completed"
    assert view["step"]["text"] == "Callback booked. Goodbye!"
    hist = client.get(
        f"/api/v1/sessions/{view['session_id']}/history", headers=auth(op)
    ).get_json()["history"]
    assert ("left", "Activity_confirm") in [(h["event"], h["element"]) for h in hist]


def test_a_catch_event_shows_its_instructions_while_it_waits(
    cli_env: None,  # noqa: F811
    repository: tuple[Path, str],
    client: Any,
    tokens: dict[str, str],
) -> None:
    root, prefix = repository
    _published(root, prefix)
    op = tokens["operator"]
    view = start(client, op, f"{prefix}-support-outage-check")
    view = step(client, op, view, answer={"district": "riverside"}).get_json()
    assert view["step"]["text"] == (
        "There is an outage in your district; it will be repaired today by 18:00."
    )
    view = step(client, op, view, answer={}).get_json()
    assert view["status"] == "waiting"
    assert view["step"]["id"] == "Event_wait_report"
    assert view["step"]["text"] == "Waiting for the engineer's report on riverside."
