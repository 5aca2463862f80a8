"""GET /api/v1/scripts/{key}/versions/{number}/diagram: the primary process's BPMN XML."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SAMPLES, auth

OUTAGE = SAMPLES / "internet_outage"
pytestmark = pytest.mark.smoke


def test_the_diagram_is_the_primary_process_file(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)  # two BPMN files: identify_customer.bpmn sorts first
    for role in ("operator", "methodologist", "admin"):
        resp = client.get(f"/api/v1/scripts/{key}/versions/1/diagram", headers=auth(tokens[role]))
        assert resp.status_code == 200, (role, resp.get_json())
        assert resp.headers["Content-Type"] == "application/xml"
        assert resp.data == (OUTAGE / "internet_outage.bpmn").read_bytes()


def test_a_missing_script_or_version_is_named(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    operator = auth(tokens["operator"])
    resp = client.get(f"/api/v1/scripts/{key}/versions/1/diagram", headers=operator)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["message"] == f"script {key!r} not found"
    deploy(OUTAGE, key)
    resp = client.get(f"/api/v1/scripts/{key}/versions/7/diagram", headers=operator)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["message"] == f"script {key!r} has no version 7"


def test_bots_and_strangers_do_not_read_diagrams(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    url = f"/api/v1/scripts/{key}/versions/1/diagram"
    assert client.get(url, headers=auth(tokens["bot"])).status_code == 403
    assert client.get(url).status_code == 401
