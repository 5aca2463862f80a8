"""The methodologist's editor in headless Chromium: a script made from a blank diagram with
the properties panel's form builder, validation markers, a conflicting save, a test run as a
chat inside the editor, publishing, the history; then a session started over the API on the
published version."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BUNDLES, ROOT, auth
from tests.e2e.harness import SCREENSHOTS, Live, drive
from tests.support.http_server import LocalServer, running_server

pytestmark = pytest.mark.browser

# Screenshots the README shows (docs/screenshots/), refreshed by each run of this test.
KEPT = ("editor-problems", "editor-test-chat", "editor-conflict", "editor-history")


@pytest.fixture()
def remote() -> Iterator[LocalServer]:
    with running_server() as server:
        yield server


@pytest.fixture()
def balance_function(client: Any, tokens: dict[str, str], remote: LocalServer) -> str:
    """An integration function the service task calls: the balance of an account."""
    name = f"balance_{uuid.uuid4().hex[:8]}"
    spec = {
        "name": name,
        "description": "The balance of a customer's account",
        "version": 1,
        "parameters": [{"name": "account", "type": "string"}],
        "request": {
            "method": "GET",
            "url": remote.base + "/echo",
            "query": {"account": "{{ account }}", "amount": "350"},
        },
        "response": {
            "results": {
                "account": "received.query.account[0]",
                "amount": "received.query.amount[0]",
            }
        },
        "timeout_s": 2,
    }
    resp = client.post("/api/v1/integrations", json=spec, headers=auth(tokens["methodologist"]))
    assert resp.status_code == 201, resp.get_json()
    return name


def test_a_script_made_in_the_editor_runs_as_a_chat_and_is_published(
    live: Live, client: Any, tokens: dict[str, str], key: str, balance_function: str
) -> None:
    result = drive(
        "editor_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["methodologist"],
        CUEBOOK_OTHER_TOKEN=tokens["admin"],
        CUEBOOK_KEY=key,
        CUEBOOK_FUNCTION=balance_function,
    )
    assert result["afterSignin"] == "/editor/"
    assert result["panel"] is True
    assert result["blankShapes"] == ["bpmn:Process", "bpmn:StartEvent"]
    assert {"ask_name", "ask_topic", "which_topic", "look_up", "end_balance", "end_other"} <= set(
        result["drawn"]
    )
    assert result["dirty"] == "dirty"

    drawn = result["problemsDrawn"]
    assert drawn["state"] == "problems" and drawn["badges"] >= 1
    named = {p["element"] for p in drawn["items"]}
    assert "look_up" in named  # a service task that calls nothing
    assert set(drawn["marked"]) <= named and "look_up" in drawn["marked"]
    assert result["problemsFixed"]["state"] == "ok" and result["problemsFixed"]["marked"] == []

    assert result["savedState"].endswith("2")
    assert result["otherSave"] == 200
    conflict = result["conflict"]
    assert conflict["state"] == "conflict"
    assert ["elements", "changed", "ask_topic"] in conflict["changes"]
    assert conflict["marked"] == ["ask_topic"]
    assert result["reloaded"]["topic"] == "Topic of the call"  # theirs, nothing overwritten

    assert result["buttons"] == ["Balance", "Something else"]
    chat = result["chat"]
    said = [text for who, text in chat["lines"] if who == "script"]
    assert said[0] == "Hello! What is your name?"
    assert "What is it about, Anna?" in said
    assert said[-1] == "Anna, your balance is 350."
    assert chat["passed"] == sorted(
        ["start", "ask_name", "ask_topic", "which_topic", "look_up", "end_balance"]
    )
    assert chat["taken"] == 5  # the flows between them
    assert chat["variables"][0] == {}  # before the first answer
    assert chat["variables"][-1]["balance"] == {"account": "Anna", "amount": "350"}
    assert chat["variables"][-1]["topic"] == "balance"
    assert f"{key}~draft" in chat["meta"]

    player = result["player"]
    assert player["mode"] == "player" and player["options"] == ["Balance", "Something else"]
    assert player["steps"] == ["1. Name", "2. Topic of the call"]
    assert player["current"] == ["ask_topic"] and player["variables"]["customer_name"] == "Boris"

    assert result["published"] == "1"
    history = result["history"]
    assert history["diagram"] == "ready"
    assert [row[0] for row in history["versions"]] == ["2", "1"]
    assert history["versions"][0][2] == "test-methodologist"
    assert ["elements", "changed", "ask_name"] in history["changes"]
    assert ["elements", "changed", "end_other"] in history["changes"]
    assert history["marked"] == ["ask_name", "end_other"]
    assert history["releases"] == 2
    assert result["pageErrors"] == []
    # The one failed request is the refused save (the browser logs every non-2xx answer).
    assert result["console"] == [
        "Failed to load resource: the server responded with a status of 409 (CONFLICT)"
    ]

    # A bot starts a session over the API on the new version; the test script stays hidden.
    started = client.post(
        "/api/v1/sessions",
        json={"script": key, "channel": "chat"},
        headers=auth(tokens["bot"]),
    )
    assert started.status_code == 201, started.get_json()
    session = started.get_json()
    assert session["version"] == {"script": key, "number": 2}
    assert session["messages"][0]["text"] == "Hello! What is your name?"
    listed = client.get("/api/v1/scripts", headers=auth(tokens["bot"])).get_json()["scripts"]
    assert key in {s["key"] for s in listed} and f"{key}~draft" not in {s["key"] for s in listed}

    kept = ROOT / "docs" / "screenshots"
    kept.mkdir(exist_ok=True)
    for name in KEPT:
        shutil.copyfile(SCREENSHOTS / f"{name}.png", kept / f"{name}.png")


def test_drafts_of_diagrams_without_a_layout_open_in_the_modeler(
    live: Live, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    author = auth(tokens["methodologist"])
    drafts = []
    for folder in ("menu_loop", "elements_events"):
        deploy(BUNDLES / folder, f"{key}-{folder.replace('_', '-')}")
        made = client.post(
            "/api/v1/drafts", json={"script": f"{key}-{folder.replace('_', '-')}"}, headers=author
        ).get_json()
        drafts.append({"name": folder, "path": f"/editor/drafts/{made['id']}"})
    result = drive(
        "editor_open.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["methodologist"],
        CUEBOOK_DRAFTS=json.dumps(drafts),
        CUEBOOK_PLAIN_ELEMENT="menu",
    )
    menu = result["drafts"]["menu_loop"]
    assert menu["state"] == "ready" and menu["warnings"] == 0 and menu["problems"] == "ok"
    assert menu["shapes"] == ["count", "end", "gw", "init", "menu", "name", "start"]
    assert menu["flows"] == 7
    events = result["drafts"]["elements_events"]
    assert events["state"] == "ready" and events["warnings"] == 0 and events["problems"] == "ok"
    assert {"sub", "on_vip", "survey", "survey_skipped"} <= set(events["shapes"])
    plain = result["plain"]
    assert plain["panel"] is False and plain["name"] == "Renamed without the panel"
    assert plain["saved"].endswith("2")
    assert result["pageErrors"] == []
    assert result["console"] == ["Failed to load resource: net::ERR_FAILED"]  # the panel
