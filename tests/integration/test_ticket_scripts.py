"""Routing scripts as deployed scripts, and a session's service task that opens a ticket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from click.testing import CliRunner

from cuebook.cli import main
from tests.conftest import BUNDLES, ROOT, auth, bundle_upload
from tests.integration.test_tickets import ROUTING

pytestmark = pytest.mark.smoke

OPENS_TICKET = BUNDLES / "opens_ticket"


def test_a_session_opens_a_ticket_and_shows_its_number(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    routing = f"r{key}"
    deploy(ROUTING, routing)
    deploy(OPENS_TICKET, key)
    bot = auth(tokens["bot"])
    who = f"cust-{uuid.uuid4().hex[:8]}"

    def talk() -> dict[str, Any]:
        view = client.post(
            "/api/v1/sessions",
            json={
                "script": key,
                "channel": "chat",
                "variables": {"customer": who, "routing": routing},
            },
            headers=bot,
        ).get_json()
        resp = client.post(
            f"/api/v1/sessions/{view['session_id']}/steps",
            json={"step_token": view["step_token"], "answer": {"problem": "charged twice"}},
            headers=bot,
        )
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()  # type: ignore[no-any-return]

    first = talk()
    assert first["step_id"] == "tell"
    listed = client.get(f"/api/v1/tickets?customer_key={who}", headers=bot).get_json()["items"]
    (ticket,) = listed
    assert ticket["group"] == "billing" and ticket["subject"] == "charged twice"
    assert first["messages"][0]["text"] == f"Your request is {ticket['number']}."
    again = talk()
    assert again["messages"][0]["text"] == f"Your request is {ticket['number']} (added to it)."
    route = client.get(f"/api/v1/tickets/{ticket['id']}/route", headers=bot).get_json()
    assert route["entries"][0]["actor"] == "script"


def test_deploy_checks_a_routing_bundles_groups(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    files = bundle_upload(ROUTING)["files"]

    def deploy(replace: dict[str, bytes], drop: str = "") -> Any:
        kept = [(f, n) for f, n in bundle_upload(ROUTING, replace)["files"] if n != drop]
        return client.post(
            f"/api/v1/scripts/{key}/versions",
            data={"files": kept},
            headers=auth(tokens["methodologist"]),
            content_type="multipart/form-data",
        )

    assert files
    missing = deploy({}, drop="groups.json")
    assert missing.status_code == 422
    assert "needs groups.json" in missing.get_json()["error"]["message"]
    dmn = (
        (ROUTING / "route.dmn")
        .read_bytes()
        .replace(b'"delivery"</text></outputEntry>', b'"nowhere"</text></outputEntry>')
    )
    unknown = deploy({"route.dmn": dmn})
    assert unknown.status_code == 422
    details = unknown.get_json()["error"]["details"]
    assert details == [
        {
            "path": "route.dmn#delivery",
            "message": "group 'nowhere' is not one of the groups in groups.json",
        }
    ]
    bad_fallback = deploy({"groups.json": b'{"fallback_group": "x", "groups": {"a": {}}}'})
    assert bad_fallback.status_code == 422
    assert bad_fallback.get_json()["error"]["details"][0]["path"] == "groups.json#fallback_group"


def test_validate_knows_the_built_in_functions(settings: Any, tmp_path: Any) -> None:
    env = {
        "CUEBOOK_DATABASE_URL": settings.database_url,
        "CUEBOOK_DATABASE_SCHEMA": settings.database_schema or "",
        "CUEBOOK_SECRET_KEY": "t",
        "CUEBOOK_VAR_DIR": str(tmp_path),
    }
    done = CliRunner().invoke(main, ["validate", str(OPENS_TICKET)], env=env)
    assert done.exit_code == 0, done.output
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    for path in OPENS_TICKET.iterdir():
        text = path.read_bytes().replace(b'parameter id="subject"', b'parameter id="topic"')
        (wrong / path.name).write_bytes(text)
    done = CliRunner().invoke(main, ["validate", str(wrong)], env=env)
    assert done.exit_code == 1
    assert "'cuebook.create_ticket' has no parameter 'topic'" in done.output


def test_the_shipped_sample_routes_and_joins_one_problem(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(ROOT / "bpmn" / "ticket_routing", key)
    bot, who = auth(tokens["bot"]), f"cust-{uuid.uuid4().hex[:8]}"
    body = {
        "script": key,
        "customer_key": who,
        "type": "complaint",
        "category": "food_quality",
        "subject": "Прокисшее молоко",
        "body": "Купил вчера",
    }
    by_phone = client.post("/api/v1/tickets", json={**body, "channel": "phone"}, headers=bot)
    assert by_phone.status_code == 201, by_phone.get_json()
    ticket = by_phone.get_json()
    assert ticket["group"] == "food_quality" and ticket["rule"].startswith("R06")
    assert ticket["due_at"] and ticket["work_items"][0]["group"] == "food_quality"
    by_mail = client.post("/api/v1/tickets", json={**body, "channel": "email"}, headers=bot)
    assert by_mail.status_code == 200 and by_mail.get_json()["id"] == ticket["id"]
    route = client.get(f"/api/v1/tickets/{ticket['id']}/route", headers=bot).get_json()
    assert [e["event"] for e in route["entries"]][:2] == ["created", "classified"]
    assert route["entries"][-1]["event"] == "merged"
