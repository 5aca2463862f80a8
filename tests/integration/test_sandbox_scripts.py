"""Scripts written as for SpiffArena (imports of the safe modules, def, lambda, try,
str.format, attribute reads on dicts, a variable named ``type``) run through the API and
leave task data the saved state holds: the session is resumed from its saved state alone
between steps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUNDLES, auth

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
