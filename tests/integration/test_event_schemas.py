"""The event contracts over HTTP."""

from __future__ import annotations

from typing import Any

from engine.events.contracts import contracts
from tests.conftest import auth


def test_schemas_are_served_to_any_role(client: Any, tokens: dict[str, str]) -> None:
    resp = client.get("/api/v1/events/schemas", headers=auth(tokens["bot"]))
    assert resp.status_code == 200
    listed = {(s["type"], s["schema_version"]): s["schema"] for s in resp.get_json()["schemas"]}
    assert listed == {key: c.schema for key, c in contracts().items()}
    assert ("session.step_taken", 1) in listed
    [inbound] = resp.get_json()["inbound"]
    assert inbound["schema"]["$id"] == "urn:cuebook:inbound:message:1"

    one = client.get("/api/v1/events/schemas/session.started/1", headers=auth(tokens["operator"]))
    assert one.status_code == 200
    assert one.get_json() == contracts()[("session.started", 1)].schema
    missing = client.get("/api/v1/events/schemas/session.started/9", headers=auth(tokens["bot"]))
    assert missing.status_code == 404
    assert client.get("/api/v1/events/schemas").status_code == 401
