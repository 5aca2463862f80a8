"""The properties panel's endpoints: code checks, step previews per channel, the variables
known at an element, and what call activities and service tasks may call."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUNDLES, SAMPLES, auth

pytestmark = pytest.mark.smoke

OUTAGE = SAMPLES / "internet_outage"
MENU = {
    "type": "object",
    "required": ["menu_choice"],
    "properties": {
        "menu_choice": {
            "type": "string",
            "title": "Main menu",
            "oneOf": [
                {"const": "tariff", "title": "My tariff", "x-synonyms": ["plan"]},
                {"const": "balance", "title": "Balance", "x-synonyms": ["money"]},
            ],
        }
    },
}


def post(client: Any, token: str, path: str, body: Any) -> Any:
    return client.post(f"/api/v1/authoring{path}", json=body, headers=auth(token))


def paths(resp: Any) -> list[str]:
    return [d["path"] for d in resp.get_json()["error"]["details"]]


def test_a_condition_is_checked_by_the_sandbox_rules(client: Any, tokens: dict[str, str]) -> None:
    m = tokens["methodologist"]
    good = post(client, m, "/code", {"source": "status == 'active' and len(items) > n"})
    assert good.status_code == 200
    assert good.get_json() == {
        "ok": True,
        "problems": [],
        "reads": ["status", "items", "n"],
        "writes": [],
    }
    refused = post(client, m, "/code", {"source": "x.__class__ == 1"}).get_json()
    assert refused["ok"] is False
    assert refused["problems"][0]["line"] == 1 and refused["problems"][0]["column"] == 1
    assert "__class__" in refused["problems"][0]["message"]
    broken = post(client, m, "/code", {"source": "a == == b"}).get_json()
    assert broken["ok"] is False and broken["problems"][0]["message"].startswith("syntax error")
    assert broken["problems"][0]["column"] == 6


def test_a_script_says_what_it_reads_and_leaves(client: Any, tokens: dict[str, str]) -> None:
    source = "total = 0\nfor row in rows:\n    total += row['sum']\nimport os\n"
    found = post(client, tokens["methodologist"], "/code", {"source": source, "mode": "script"})
    body = found.get_json()
    assert body["ok"] is False
    assert [(p["line"], p["column"]) for p in body["problems"]] == [(4, 1)]
    assert "import of 'os'" in body["problems"][0]["message"]
    assert body["reads"] == ["rows"] and body["writes"] == ["total", "row"]


def test_bad_requests_name_the_field(client: Any, tokens: dict[str, str]) -> None:
    m = tokens["methodologist"]
    wrong_mode = post(client, m, "/code", {"source": "1", "mode": "python"})
    assert wrong_mode.status_code == 422 and paths(wrong_mode) == ["mode"]
    missing = post(client, m, "/code", {})
    assert missing.status_code == 422 and paths(missing) == ["source"]
    misses = post(client, m, "/previews", {"max_misses": "3"})
    assert misses.status_code == 422 and paths(misses) == ["max_misses"]
    channel = post(client, m, "/previews", {"channels": ["web", "fax"]})
    assert channel.status_code == 422 and paths(channel) == ["channels[1]"]
    assert post(client, tokens["operator"], "/code", {"source": "1"}).status_code == 403
    assert post(client, tokens["bot"], "/previews", {}).status_code == 403


def test_a_choice_previews_on_every_channel(client: Any, tokens: dict[str, str]) -> None:
    body = {
        "element": "menu",
        "title": "Menu",
        "text": "Hello, {{ customer_name }}! What do you need?",
        "voice": "<speak>Main menu.</speak>",
        "hints": "Offer the balance first.",
        "schema": MENU,
        "language": "en",
        "variables": {"customer_name": "Anna"},
    }
    found = post(client, tokens["methodologist"], "/previews", body)
    assert found.status_code == 200, found.get_json()
    preview = found.get_json()
    assert preview["kind"] == "choice" and preview["field"] == "menu_choice"
    web = preview["web"]["step"]
    assert web["text"] == "Hello, Anna! What do you need?"
    assert web["hints"] == "Offer the balance first."
    assert [o["label"] for o in web["options"]] == ["My tariff", "Balance"]
    chat = preview["chat"]
    said = " ".join(m["text"] for m in chat["messages"])
    assert "Hello, Anna!" in said
    assert [b["label"] for b in chat["buttons"]] == ["My tariff", "Balance"]
    ivr = preview["ivr"]
    assert "Main menu." in ivr["ssml"] and "Balance" in ivr["ssml"]
    assert ivr["dtmf"]["1"] == "tariff" and ivr["dtmf"]["2"] == "balance"
    assert "money" in ivr["speech_hints"]


def test_a_step_for_a_person_is_handed_off_on_bot_channels(
    client: Any, tokens: dict[str, str]
) -> None:
    form = {
        "type": "object",
        "properties": {"note": {"type": "string", "title": "Note"}},
    }
    body = {
        "element": "write",
        "text": "Write it down",
        "schema": form,
        "handoff_queue": "support_l1",
        "channels": ["web", "chat"],
    }
    preview = post(client, tokens["methodologist"], "/previews", body).get_json()
    assert preview["kind"] == "form" and preview["ivr"] is None
    assert preview["web"]["status"] == "waiting"
    assert preview["chat"]["status"] == "handed_off"
    assert preview["chat"]["handoff"]["queue"] == "support_l1"


def test_a_bad_form_or_template_is_a_422_naming_it(client: Any, tokens: dict[str, str]) -> None:
    m = tokens["methodologist"]
    bad_type = {"type": "object", "properties": {"age": {"type": "whole"}}}
    schema = post(client, m, "/previews", {"schema": bad_type})
    assert schema.status_code == 422
    assert paths(schema)[0] == "schema/properties/age/type"
    template = post(client, m, "/previews", {"text": "Hello {{ name "})
    assert template.status_code == 422 and paths(template) == ["text"]
    failing = post(client, m, "/previews", {"text": "{{ 1 // n }}", "variables": {"n": 0}})
    assert failing.status_code == 422 and paths(failing) == ["variables"]


def _outage() -> tuple[str, dict[str, str]]:
    files = {p.name: p.read_text() for p in OUTAGE.iterdir() if not p.name.endswith(".bpmn")}
    return (OUTAGE / "internet_outage.bpmn").read_text(), files


def test_variables_known_at_an_element(client: Any, tokens: dict[str, str]) -> None:
    bpmn, files = _outage()
    files["cuebook.json"] = '{"primary_process_id": "internet_outage", "defaults": {"crm_id": 1}}'
    m = tokens["methodologist"]
    found = post(client, m, "/variables", {"bpmn": bpmn, "files": files, "element": "flow_decided"})
    assert found.status_code == 200, found.get_json()
    by_name = {v["name"]: v for v in found.get_json()["variables"]}
    assert by_name["action"]["source"] == "decision"
    assert by_name["action"]["element"] == "decide_resolution"
    assert by_name["symptom"]["source"] == "form" and by_name["symptom"]["element"] == "ask_symptom"
    assert by_name["outage_status"]["source"] == "script"
    assert by_name["crm_id"]["source"] == "defaults" and by_name["crm_id"]["element"] == ""
    first = post(client, m, "/variables", {"bpmn": bpmn, "files": files, "element": "ask_symptom"})
    names = {v["name"] for v in first.get_json()["variables"]}
    assert "symptom" not in names and "action" not in names  # set later, not before


def test_variables_of_an_unknown_element_or_bad_xml(client: Any, tokens: dict[str, str]) -> None:
    bpmn, files = _outage()
    m = tokens["methodologist"]
    unknown = post(client, m, "/variables", {"bpmn": bpmn, "files": files, "element": "nope"})
    assert unknown.status_code == 422 and paths(unknown) == ["element"]
    broken = post(client, m, "/variables", {"bpmn": "<definitions", "element": "x"})
    assert broken.status_code == 422 and paths(broken) == ["bpmn"]
    not_text = post(client, m, "/variables", {"bpmn": bpmn, "files": {"a.json": 1}, "element": "x"})
    assert not_text.status_code == 422 and paths(not_text) == ['files["a.json"]']


def test_processes_of_published_scripts(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    process = f"identify_{uuid.uuid4().hex[:8]}"
    folder = BUNDLES / "reuse_callee"
    bpmn = (folder / "identify.bpmn").read_text().replace("identify_customer", process)
    manifest = (folder / "cuebook.json").read_text().replace("identify_customer", process)
    deploy(Path(folder), key, {"identify.bpmn": bpmn.encode(), "cuebook.json": manifest.encode()})
    found = client.get("/api/v1/authoring/processes", headers=auth(tokens["methodologist"]))
    assert found.status_code == 200
    listed = {p["process_id"]: p for p in found.get_json()["processes"]}
    assert listed[process]["script"] == key and listed[process]["version"] == 1


def test_functions_with_parameters_in_order(client: Any, tokens: dict[str, str]) -> None:
    m = tokens["methodologist"]
    name = f"lookup_{uuid.uuid4().hex[:8]}"
    spec = {
        "name": name,
        "description": "Find a contract",
        "parameters": [
            {"name": "contract", "type": "string"},
            {"name": "region", "type": "string", "required": False, "default": "msk"},
        ],
        "request": {"method": "GET", "url": "http://127.0.0.1:9/c/{{ contract }}"},
        "response": {"results": {"status": "status", "district": "district"}},
    }
    assert client.post("/api/v1/integrations", json=spec, headers=auth(m)).status_code == 201
    found = client.get("/api/v1/authoring/functions", headers=auth(m)).get_json()["functions"]
    mine = next(f for f in found if f["name"] == name)
    assert [(p["name"], p["required"]) for p in mine["parameters"]] == [
        ("contract", True),
        ("region", False),
    ]
    assert mine["results"] == ["district", "status"] and mine["builtin"] is False
    ticket = next(f for f in found if f["name"] == "cuebook.create_ticket")
    assert ticket["builtin"] is True and ticket["parameters"]
