"""Scripts written as for SpiffArena (imports of the safe modules, def, lambda, try,
str.format, attribute reads on dicts, a variable named ``type``) run through the API and
leave task data the saved state holds: the session is resumed from its saved state alone
between steps."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BUNDLES, auth, bundle_upload

pytestmark = pytest.mark.smoke

INVOICE = {
    "invoiceId": 7,
    "lines": [{"code": "B", "qty": 1, "price": 0.505}, {"code": "A", "qty": 2, "price": 1.25}],
}


def reload(client: Any, services: Any, token: str, sid: str) -> dict[str, Any]:
    services.engine.live.clear()
    resp = client.get(f"/api/v1/sessions/{sid}", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def test_spiffarena_style_scripts_run_and_save(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "spiff_scripts", key)
    op = tokens["operator"]
    resp = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"invoice": INVOICE}},
        headers=auth(op),
    )
    assert resp.status_code == 201, resp.get_json()
    view = reload(client, services, op, resp.get_json()["session_id"])
    assert view["step"]["id"] == "show"
    assert view["step"]["text"] == "billing #7: 3.01 due 31.05.2024, codes A,B, ok True"

    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers=auth(op),
    )
    assert resp.status_code == 200, resp.get_json()
    view = reload(client, services, op, view["session_id"])
    assert view["step"]["id"] == "done"
    assert view["step"]["text"] == "number 7 later 2024-06-01T00:00:00"


def test_deploy_names_the_element_line_and_alternative_of_each_refusal(
    client: Any, tokens: dict[str, str], key: str
) -> None:
    folder = BUNDLES / "spiff_scripts"
    diagram = (folder / "spiff_scripts.bpmn").read_text()
    bad = diagram.replace(
        "import re\n", "import os\nx = '{0.__class__}'.format(label)\ny = type(label)\n"
    )
    resp = client.post(
        f"/api/v1/scripts/{key}/versions",
        data=bundle_upload(folder, {"spiff_scripts.bpmn": bad.encode()}),
        headers=auth(tokens["methodologist"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422, resp.get_json()
    text = str(resp.get_json())
    assert "after" in text  # the script task's id
    assert "line 1: import of 'os' is not allowed (available: calendar, datetime" in text
    assert "line 2: format field '{0.__class__}' reads an attribute or item" in text
    assert "line 3: calling 'type' is not allowed (use isinstance(x, str))" in text


def test_a_script_that_catches_the_time_limit_still_stops(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    folder = BUNDLES / "spiff_scripts"
    diagram = (folder / "spiff_scripts.bpmn").read_text()
    looping = diagram.replace(
        "import re\n",
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except Exception:\n        pass\nimport re\n",
    )
    deploy(folder, key, {"spiff_scripts.bpmn": looping.encode()})
    op = tokens["operator"]
    started = time.monotonic()
    view = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"invoice": INVOICE}},
        headers=auth(op),
    ).get_json()
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers=auth(op),
    )
    assert resp.status_code == 500, resp.get_json()
    message = resp.get_json()["error"]["message"]
    assert message.startswith("after: line 3: ")
    assert "loop iterations" in message or "ran longer than" in message
    assert time.monotonic() - started < 10
    again = client.get(f"/api/v1/sessions/{view['session_id']}", headers=auth(op)).get_json()
    assert again["step"]["id"] == "show"  # the failed step changed nothing
