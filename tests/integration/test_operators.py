"""Operators over HTTP: profiles (admin), presence with time in each state, refusals that
name the field, and `cuebook operators import` from CSV and YAML."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cuebook.cli import main
from tests.conftest import auth
from tests.integration.test_cli import cli_env  # noqa: F401 (a fixture)
from tests.support.operators import (
    a_conversation,
    new_group,
    new_operator,
    presence,
    wait_offers,
)

pytestmark = pytest.mark.smoke


def test_an_admin_makes_reads_and_changes_operators(
    client: Any, tokens: dict[str, str], deploy: Any
) -> None:
    group = new_group(deploy)
    admin = auth(tokens["admin"])
    made = new_operator(
        client, tokens, group.name, languages=["ru", "en"], channels=["chat"],
        capacity_conversations=2, capacity_tickets=3,
    )  # fmt: skip
    assert made["skills"] == [{"group": group.name, "level": 3}]
    assert (made["capacity_conversations"], made["capacity_tickets"]) == (2, 3)
    assert made["presence"] == "offline" and made["languages"] == ["ru", "en"]
    assert made["load"] == {
        "conversations": 0, "tickets": 0, "offered_conversations": 0, "offered_tickets": 0,
    }  # fmt: skip

    # The new token signs the operator in.
    me = presence(client, made["token"], "away")
    assert me.status_code == 200, me.get_json()

    shown = client.get(f"/api/v1/operators/{made['id']}", headers=admin).get_json()
    assert shown["login"] == made["login"] and shown["presence"] == "away"
    assert set(shown["time_in_states"]) == {"ready", "busy", "away", "offline"}

    changed = client.put(
        f"/api/v1/operators/{made['id']}",
        json={"skills": [{"group": group.name, "level": 7}, {"group": "operators", "level": 1}]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["skills"] == [
        {"group": group.name, "level": 7},
        {"group": "operators", "level": 1},
    ]
    assert changed.get_json()["capacity_conversations"] == 2  # fields not given stay

    listed, after = [], 0
    while True:
        page = client.get(f"/api/v1/operators?limit=50&after={after}", headers=admin).get_json()
        listed += [o["login"] for o in page["operators"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert made["login"] in listed

    assert client.get("/api/v1/operators", headers=auth(tokens["operator"])).status_code == 403
    assert client.get("/api/v1/operators/999999999", headers=admin).status_code == 404


def test_bad_profiles_are_refused_naming_the_field(
    client: Any, tokens: dict[str, str], deploy: Any
) -> None:
    group = new_group(deploy)
    admin = auth(tokens["admin"])

    def refused(body: dict[str, Any], status: int, path: str) -> dict[str, Any]:
        resp = client.post("/api/v1/operators", json=body, headers=admin)
        assert resp.status_code == status, resp.get_json()
        error = resp.get_json()["error"]
        assert path in [d["path"] for d in error["details"]], error
        return error  # type: ignore[no-any-return]

    login = f"op-{uuid.uuid4().hex[:8]}"
    unknown = refused(
        {"login": login, "skills": [{"group": group.name}, {"group": "no-such-group"}]},
        422, "skills[1].group",
    )  # fmt: skip
    assert "unknown group 'no-such-group'" in str(unknown["details"])
    too_high = {"login": login, "skills": [{"group": group.name, "level": 11}]}
    refused(too_high, 422, "skills[0].level")
    refused({"login": login, "channels": ["fax"]}, 422, "channels[0]")
    refused({"login": login, "capacity_tickets": -1}, 422, "capacity_tickets")
    refused({"login": "test-bot"}, 422, "login")  # a bot's token cannot be an operator
    taken = new_operator(client, tokens, group.name)
    refused({"login": taken["login"]}, 409, "login")
    # Nothing was made by the refusals.
    listed = client.get("/api/v1/operators?limit=500", headers=admin).get_json()["operators"]
    assert login not in [o["login"] for o in listed]


def test_presence_spans_and_what_would_strand_work(
    client: Any, tokens: dict[str, str], deploy: Any
) -> None:
    group = new_group(deploy)
    made = new_operator(client, tokens, group.name, capacity_conversations=2)
    token = made["token"]

    bad = presence(client, token, "sleeping")
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["path"] == "presence"
    assert presence(client, tokens["operator"], "ready").status_code == 404  # no profile

    ready = presence(client, token, "ready")
    assert ready.status_code == 200 and ready.get_json()["presence"] == "ready"
    talk = a_conversation(client, tokens, group)
    (offer,) = wait_offers(client, token)
    assert offer["item_id"] == talk
    took = client.post(f"/api/v1/offers/{offer['id']}/accept", headers=auth(token))
    assert took.status_code == 200, took.get_json()

    # Holding a conversation: offline and a capacity under it are refused, nothing changes.
    off = presence(client, token, "offline")
    assert off.status_code == 409, off.get_json()
    error = off.get_json()["error"]
    assert error["code"] == "would_strand_work" and "1 conversation" in error["message"]
    shrink = client.put(
        f"/api/v1/operators/{made['id']}",
        json={"capacity_conversations": 0},
        headers=auth(tokens["admin"]),
    )
    assert shrink.status_code == 409
    assert shrink.get_json()["error"]["details"][0]["path"] == "capacity_conversations"
    shown = client.get(f"/api/v1/operators/{made['id']}", headers=auth(tokens["admin"]))
    assert shown.get_json()["presence"] == "ready"
    assert shown.get_json()["capacity_conversations"] == 2
    assert shown.get_json()["load"]["conversations"] == 1

    away = presence(client, token, "away")  # a break is allowed: the work stays theirs
    assert away.status_code == 200
    states = away.get_json()["time_in_states"]
    assert states["ready"] > 0 and states["away"] >= 0


CSV = """login,name,groups,languages,channels,capacity_conversations,capacity_tickets
{a},Anna,{g}:3;operators:1,ru;en,chat;web,2,4
{b},Boris,{g}:1,ru,,1,5
"""

YAML = """- login: {a}
  name: Anna K.
  skills: [{{group: {g}, level: 5}}]
  capacity_conversations: 3
- login: {c}
  name: Clara
  skills: [{{group: {g}}}]
  channels: [ticket]
"""


def test_import_from_csv_then_yaml(
    client: Any,
    tokens: dict[str, str],
    deploy: Any,
    cli_env: None,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    group = new_group(deploy)
    a, b, c = (f"op-{uuid.uuid4().hex[:8]}" for _ in range(3))
    runner = CliRunner()
    csv_file = tmp_path / "team.csv"
    csv_file.write_text(CSV.format(a=a, b=b, g=group.name))
    first = runner.invoke(main, ["operators", "import", str(csv_file)])
    assert first.exit_code == 0, first.output
    assert f"created {a}" in first.output and f"created {b}" in first.output
    assert "token cb_" in first.output  # new tokens are shown once

    yaml_file = tmp_path / "team.yaml"
    yaml_file.write_text(YAML.format(a=a, c=c, g=group.name))
    second = runner.invoke(main, ["operators", "import", str(yaml_file)])
    assert second.exit_code == 0, second.output
    assert f"updated {a}" in second.output and f"created {c}" in second.output

    admin = auth(tokens["admin"])
    listed = client.get("/api/v1/operators?limit=500", headers=admin).get_json()["operators"]
    by_login = {o["login"]: o for o in listed}
    assert by_login[a]["name"] == "Anna K." and by_login[a]["capacity_conversations"] == 3
    assert by_login[a]["skills"] == [{"group": group.name, "level": 5}]
    assert by_login[b]["skills"] == [{"group": group.name, "level": 1}]
    assert by_login[b]["languages"] == ["ru"] and by_login[b]["channels"] == []
    assert by_login[c]["channels"] == ["ticket"]

    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.format(a=f"op-{uuid.uuid4().hex[:8]}", b="x", g="nowhere"))
    refused = runner.invoke(main, ["operators", "import", str(bad)])
    assert refused.exit_code != 0
    assert "[0].skills[0].group" in refused.output and "unknown group 'nowhere'" in refused.output
    listed = client.get("/api/v1/operators?limit=500", headers=admin).get_json()["operators"]
    assert "x" not in [o["login"] for o in listed]  # a bad file changes nothing
