"""Running sessions moved to a new version: a plan first (what can move, why not), then the
move, after which each session goes on by the new diagram; the others keep their version."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.smoke

NAME = b'{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}'
STRICT = (
    b'{"type": "object", "required": ["name", "surname"], "properties": '
    b'{"name": {"type": "string"}, "surname": {"type": "string"}}}'
)
PHONE = b'{"type": "object", "required": ["phone"], "properties": {"phone": {"type": "string"}}}'


def _task(ident: str, form: str | None, incoming: str, outgoing: str) -> str:
    props = (
        "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
        f'name="formJsonSchemaFilename" value="{form}"/></spiffworkflow:properties>'
        "</bpmn:extensionElements>"
        if form
        else ""
    )
    kind = "userTask" if form else "manualTask"
    return (
        f'<bpmn:{kind} id="{ident}" name="{ident}">{props}<bpmn:incoming>{incoming}</bpmn:incoming>'
        f"<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:{kind}>"
    )


def _bundle(steps: list[tuple[str, str | None]], forms: dict[str, bytes]) -> dict[str, Any]:
    """A linear script: start -> each step in turn -> end."""
    nodes = ["start", *[s for s, _ in steps], "end"]
    flows = [f"f{i}" for i in range(len(nodes) - 1)]
    xml = [
        '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" '
        'targetNamespace="x"><bpmn:process id="moving" isExecutable="true">',
        '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>',
    ]
    for i, (ident, form) in enumerate(steps):
        xml.append(_task(ident, form, flows[i], flows[i + 1]))
    xml.append(
        f'<bpmn:endEvent id="end"><bpmn:incoming>{flows[-1]}</bpmn:incoming></bpmn:endEvent>'
    )
    for i, flow in enumerate(flows):
        xml.append(
            f'<bpmn:sequenceFlow id="{flow}" sourceRef="{nodes[i]}" targetRef="{nodes[i + 1]}"/>'
        )
    xml.append("</bpmn:process></bpmn:definitions>")
    files = {"moving.bpmn": "".join(xml).encode(), **forms}
    return {"files": [(io.BytesIO(data), name) for name, data in files.items()]}


def _deploy(client: Any, token: str, key: str, bundle: dict[str, Any], publish: bool) -> None:
    resp = client.post(
        f"/api/v1/scripts/{key}/versions?publish={'true' if publish else 'false'}",
        data=bundle, headers=auth(token), content_type="multipart/form-data",
    )  # fmt: skip
    assert resp.status_code == 201, resp.get_json()


def _step(client: Any, token: str, view: dict[str, Any], answer: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sessions/{view['session_id']}/steps?render=web",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(token),
    ).get_json()


def _show(client: Any, token: str, sid: str) -> Any:
    return client.get(f"/api/v1/sessions/{sid}?render=web", headers=auth(token)).get_json()


def test_sessions_move_to_the_new_version_as_planned(
    client: Any, services: Any, tokens: dict[str, str], key: str
) -> None:
    author, op = tokens["methodologist"], tokens["operator"]
    v1 = _bundle([("ask_name", "name.json"), ("confirm", None)], {"name.json": NAME})
    _deploy(client, author, key, v1, publish=True)
    at_name = client.post("/api/v1/sessions?render=web", json={"script": key}, headers=auth(op))
    at_name = at_name.get_json()
    at_confirm = client.post("/api/v1/sessions?render=web", json={"script": key}, headers=auth(op))
    at_confirm = _step(client, op, at_confirm.get_json(), {"name": "Anna"})
    assert at_confirm["step"]["id"] == "confirm"
    # Version 2 asks for a phone after the name, and calls the confirmation "check".
    v2 = _bundle(
        [("ask_name", "name.json"), ("ask_phone", "phone.json"), ("check", None)],
        {"name.json": NAME, "phone.json": PHONE},
    )
    _deploy(client, author, key, v2, publish=True)
    url = f"/api/v1/scripts/{key}/migrations"

    plan = client.post(url, json={"from": 1, "to": 2}, headers=auth(author)).get_json()
    by_element = {e["element"]: e for e in plan["elements"]}
    assert plan["dry_run"] is True and plan["moved"] == 0
    assert by_element["ask_name"]["movable"] == 1, plan["elements"]
    assert by_element["confirm"]["movable"] == 0
    assert by_element["confirm"]["blocked"][0]["reason"] == (
        "it waits at confirm, which version 2 lacks (map it)"
    )
    bad_map = client.post(url, json={"from": 1, "to": 2, "map": {"confirm": "gone"}},
                          headers=auth(author))  # fmt: skip
    assert bad_map.status_code == 422
    assert bad_map.get_json()["error"]["details"][0]["path"] == "map.confirm"
    assert client.post(url, json={"from": 1, "to": 9}, headers=auth(author)).status_code == 404
    assert client.post(url, json={"from": 1, "to": 2}, headers=auth(op)).status_code == 403

    moved = client.post(
        url,
        json={"from": 1, "to": 2, "map": {"confirm": "check"}, "dry_run": False,
              "variables": {"defaults": {"source": "moved"}}},
        headers=auth(author),
    ).get_json()  # fmt: skip
    assert moved["moved"] == 2 and moved["movable"] == 2
    services.engine.live.clear()
    view = _show(client, op, at_name["session_id"])
    assert view["version"]["number"] == 2
    assert view["step_token"] == at_name["step_token"]  # a client's open step still counts
    view = _step(client, op, view, {"name": "Boris"})
    assert view["step"]["id"] == "ask_phone"  # the new version's step
    view = _show(client, op, at_confirm["session_id"])
    assert view["version"]["number"] == 2 and view["step"]["id"] == "check"
    assert _step(client, op, view, {})["status"] == "completed"
    history = client.get(
        f"/api/v1/sessions/{at_name['session_id']}/history", headers=auth(op)
    ).get_json()["history"]
    assert [h["text"] for h in history if h["event"] == "moved"] == ["version 1 -> 2"]


def test_an_open_form_that_changed_keeps_its_session_on_its_version(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    author, op = tokens["methodologist"], tokens["operator"]
    _deploy(client, author, key, _bundle([("ask_name", "name.json")], {"name.json": NAME}), True)
    view = client.post("/api/v1/sessions?render=web", json={"script": key}, headers=auth(op))
    view = view.get_json()
    strict = _bundle([("ask_name", "name.json")], {"name.json": STRICT})
    _deploy(client, author, key, strict, publish=False)
    url = f"/api/v1/scripts/{key}/migrations"
    moved = client.post(url, json={"from": 1, "to": 2, "dry_run": False}, headers=auth(author))
    (element,) = moved.get_json()["elements"]
    assert element["movable"] == 0 and moved.get_json()["moved"] == 0
    assert element["blocked"][0]["reason"] == "the open form of ask_name now requires 'surname'"
    assert _show(client, op, view["session_id"])["version"]["number"] == 1
    assert _step(client, op, view, {"name": "Anna"})["status"] == "completed"


def test_cuebook_migrate_prints_the_plan_and_applies_it(
    client: Any, settings: Any, tokens: dict[str, str], key: str, monkeypatch: Any, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    from cuebook.cli import main

    author, op = tokens["methodologist"], tokens["operator"]
    _deploy(client, author, key, _bundle([("ask", "name.json")], {"name.json": NAME}), True)
    view = client.post("/api/v1/sessions?render=web", json={"script": key}, headers=auth(op))
    _deploy(client, author, key, _bundle([("ask_v2", "name.json")], {"name.json": NAME}), True)
    (tmp_path / "map.json").write_text('{"ask": "ask_v2"}')
    monkeypatch.setenv("CUEBOOK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUEBOOK_DATABASE_SCHEMA", settings.database_schema or "")
    runner = CliRunner()
    plan = runner.invoke(main, ["migrate", key, "1", "2"])
    assert plan.exit_code == 0, plan.output
    assert f"{key}: 0 of 1 open sessions can move from version 1 to 2" in plan.output
    assert "1 stay: it waits at ask, which version 2 lacks (map it)" in plan.output
    moved = runner.invoke(main, ["migrate", key, "1", "2", "--map", str(tmp_path / "map.json"),
                                 "--apply"])  # fmt: skip
    assert f"{key}: 1 of 1 open sessions moved" in moved.output, moved.output
    shown = _show(client, op, view.get_json()["session_id"])
    assert shown["version"]["number"] == 2 and shown["step"]["id"] == "ask_v2"
