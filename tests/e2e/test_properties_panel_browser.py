"""The editor's properties panel in headless Chromium, on the editor's draft page: a form
built with the form builder (a choice with options and synonyms), its preview on the web,
chat and IVR, a service task's function, parameter and result variable, a gateway flow's
checked condition; after a save the draft's files and BPMN hold the schema and the
properties, and the draft publishes and runs."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import ROOT, SAMPLES, auth
from tests.e2e.harness import Live, drive

pytestmark = pytest.mark.browser

DIAGRAM = Path(__file__).resolve().parent / "panel" / "draft.bpmn"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _function(client: Any, token: str) -> str:
    name = f"contract_{uuid.uuid4().hex[:8]}"
    spec = {
        "name": name,
        "description": "Find a contract",
        "parameters": [
            {"name": "contract", "type": "string"},
            {"name": "region", "type": "string", "required": False, "default": "msk"},
        ],
        "request": {"method": "GET", "url": "http://127.0.0.1:9/contracts/{{ contract }}"},
        "response": {"results": {"status": "status"}},
    }
    assert client.post("/api/v1/integrations", json=spec, headers=auth(token)).status_code == 201
    return name


def _draft(client: Any, token: str, key: str, lang: str) -> int:
    """A draft of a new script holding the demo diagram (start, a user task, a service task,
    a gateway with two flows) and a manifest with sample defaults."""
    made = client.post("/api/v1/drafts", json={"script": key}, headers=auth(token))
    assert made.status_code == 201, made.get_json()
    draft = made.get_json()
    manifest = {
        "primary_process_id": "panel_demo",
        "title": "Panel demo",
        "language": lang,
        "defaults": {"customer_name": "Anna", "contract_number": "100234567"},
    }
    files = {f"{key}.bpmn": DIAGRAM.read_text(), "cuebook.json": json.dumps(manifest)}
    saved = client.put(
        f"/api/v1/drafts/{draft['id']}",
        json={"revision": draft["revision"], "files": files},
        headers=auth(token),
    )
    assert saved.status_code == 200, saved.get_json()
    return int(draft["id"])


def _walk(live: Live, token: str, draft: int, function: str, lang: str) -> dict[str, Any]:
    return drive(
        "properties_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=token,
        CUEBOOK_DRAFT=str(draft),
        CUEBOOK_FUNCTION=function,
        CUEBOOK_LANG=lang,
    )


def test_a_form_built_in_the_panel_previews_saves_and_runs(
    live: Live, client: Any, tokens: dict[str, str], key: str
) -> None:
    m = tokens["methodologist"]
    function = _function(client, m)
    draft_id = _draft(client, m, key, "en")
    result = _walk(live, m, draft_id, function, "en")
    assert result["pageErrors"] == [] and result["console"] == []

    # What the previews showed, as the channels render the built form.
    preview = result["preview"]
    assert preview["inserted"] == "Hello, {{ customer_name }}"
    assert preview["chatButtons"] == ["My tariff", "Balance"]
    assert "Hello, Anna! What do you need?" in preview["chatMessages"][0]
    assert preview["ivrKeys"] == ["1", "2"] and "Main menu." in preview["ssml"]
    assert preview["webButtons"] == ["My tariff", "Balance"]
    assert result["params"] == ["contract", "region"]  # the function's order
    assert "syntax error" in result["paramProblem"]  # checked as it is typed
    assert result["conditionBad"]["state"] == "error"
    assert "line 1, column" in result["conditionBad"]["text"]
    assert result["conditionGood"]["state"] == "ok"
    assert "menu_choice" in result["conditionGood"]["text"]

    # The saved draft's files hold the form as JSON Schema + UI schema.
    draft = client.get(f"/api/v1/drafts/{draft_id}", headers=auth(m)).get_json()
    files = draft["files"]
    schema = json.loads(files["ask.schema.json"])
    ui = json.loads(files["ask.uischema.json"])
    assert schema["required"] == ["menu_choice"]
    assert schema["properties"]["menu_choice"] == {
        "type": "string",
        "oneOf": [
            {"const": "tariff", "title": "My tariff", "x-synonyms": ["plan", "tariff"]},
            {"const": "balance", "title": "Balance", "x-synonyms": ["money"]},
        ],
        "title": "Main menu",
    }
    assert ui["ui:order"] == ["menu_choice"] and ui["menu_choice"]["ui:help"] == "Pick one"

    # ... and its BPMN the step's properties, the service call and the condition.
    root = etree.fromstring(files[f"{key}.bpmn"].encode())
    ask = root.find(f".//{BPMN}userTask[@id='ask']")
    props = {p.get("name"): p.get("value") for p in ask.iter(f"{SPIFF}property")}
    assert props == {
        "formJsonSchemaFilename": "ask.schema.json",
        "formUiSchemaFilename": "ask.uischema.json",
        "cuebook:voice": "<speak>Main menu.</speak>",
        "cuebook:max_misses": "2",
    }
    text = ask.find(f".//{SPIFF}instructionsForEndUser").text
    assert text == "Hello, {{ customer_name }}! What do you need?"
    assert ask.find(f"{BPMN}documentation").text == "Offer the balance first."
    assert ask.find(f".//{SPIFF}preScript").text == "greeting = 'Hi' if customer_name else ''"
    assert "greeting" in result["prescript"]  # what the pre-script sets
    assert json.loads(files["cuebook.json"])["title"] == "Panel demo, edited"
    operator = root.find(f".//{BPMN}serviceTask[@id='lookup']//{SPIFF}serviceTaskOperator")
    assert operator.get("id") == function and operator.get("resultVariable") == "contract"
    params = [(p.get("id"), p.get("value")) for p in operator.iter(f"{SPIFF}parameter")]
    assert params == [("contract", "contract_number")]
    flow = root.find(f".//{BPMN}sequenceFlow[@id='to_balance']/{BPMN}conditionExpression")
    assert flow.text == "menu_choice == 'balance'"

    # The draft publishes as it is, and its first step is the choice built in the panel.
    published = client.post(
        f"/api/v1/drafts/{draft_id}/publish",
        json={"revision": draft["revision"]},
        headers=auth(m),
    )
    assert published.status_code in (200, 201), published.get_json()
    started = client.post(
        "/api/v1/sessions?render=chat",
        json={"script": key, "channel": "chat"},
        headers=auth(tokens["bot"]),
    )
    assert started.status_code == 201, started.get_json()
    assert [b["label"] for b in started.get_json()["buttons"]] == ["My tariff", "Balance"]


def test_the_panel_speaks_russian(
    live: Live, client: Any, tokens: dict[str, str], key: str
) -> None:
    m = tokens["methodologist"]
    result = _walk(live, m, _draft(client, m, key, "ru"), _function(client, m), "ru")
    assert result["pageErrors"] == [] and result["console"] == []
    assert result["labels"]["addField"] == "Добавить поле"
    assert result["labels"]["text"] == "Текст для клиента (Jinja2)"
    assert result["preview"]["chatButtons"] == ["My tariff", "Balance"]
    assert "Нажмите 1" in result["preview"]["ssml"]


def test_a_decision_table_a_script_and_a_call_in_the_panel(
    live: Live, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    m = tokens["methodologist"]
    deploy(SAMPLES / "internet_outage", key)
    made = client.post("/api/v1/drafts", json={"script": key}, headers=auth(m))
    assert made.status_code == 201, made.get_json()
    result = drive(
        "decision_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=m,
        CUEBOOK_DRAFT=str(made.get_json()["id"]),
    )
    # dmn-js's bundle announces its Inferno build on the console; nothing else may be there.
    logged = [c for c in result["console"] if "development build of Inferno" not in c]
    assert result["pageErrors"] == [] and logged == []
    assert result["decision"] == "resolution"
    assert result["rules"] >= 4  # the sample's rows, drawn by dmn-js
    assert '_checked"' in result["dmn"] and result["saveState"] == "dirty"
    assert "outage_status" in result["script"] and "outage_eta" in result["script"]
    assert result["call"] == "identify_customer"


def test_the_form_builder_keeps_every_sample_form() -> None:
    """Each sample form read into the builder and written back unedited is the same form;
    the one change allowed is an `enum` written as the equivalent `oneOf` of consts."""
    folders = sorted(str(p.parent) for p in SAMPLES.glob("*/*.schema.json"))
    folders += sorted(
        str(p.parent) for p in (ROOT / "tests" / "fixtures" / "bundles").glob("*/*.schema.json")
    )
    done = subprocess.run(
        ["node", str(Path(__file__).parent / "form_roundtrip.js"), *dict.fromkeys(folders)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["files"] >= 20
    for difference in result["differences"]:
        before, after = difference["before"], difference["after"]
        assert not difference.get("ui") and "enum" in before, difference
        assert [o["const"] for o in after["oneOf"]] == before["enum"], difference
        assert {k: v for k, v in after.items() if k != "oneOf"} == {
            k: v for k, v in before.items() if k != "enum"
        }, difference
