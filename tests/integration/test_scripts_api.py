"""Deploy, publish, roll back: versions are immutable and new sessions follow the release."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUNDLES, auth, bundle_upload

MENU = BUNDLES / "menu_loop"
pytestmark = pytest.mark.smoke


def upload(
    client: Any,
    token: str,
    key: str,
    replace: dict[str, bytes] | None = None,
    publish: bool = False,
) -> Any:
    return client.post(
        f"/api/v1/scripts/{key}/versions" + ("?publish=true" if publish else ""),
        data=bundle_upload(MENU, replace),
        headers=auth(token),
        content_type="multipart/form-data",
    )


def test_versions_publish_and_rollback(client: Any, tokens: dict[str, str], key: str) -> None:
    m = tokens["methodologist"]
    first = upload(client, m, key)
    assert first.status_code == 201
    assert first.get_json()["number"] == 1 and first.get_json()["created"] is True
    same = upload(client, m, key)
    assert same.status_code == 200
    assert same.get_json()["created"] is False and same.get_json()["number"] == 1
    assert "nothing new" in same.get_json()["message"]

    not_published = client.post(
        "/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"])
    )
    assert not_published.status_code == 409

    assert (
        client.post(f"/api/v1/scripts/{key}/versions/1/publish", headers=auth(m)).status_code == 200
    )
    old = client.post(
        "/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"])
    ).get_json()
    assert old["version"]["number"] == 1

    text = (
        (MENU / "menu_loop.bpmn")
        .read_bytes()
        .replace(b"Hello! What is your name?", b"Hi there! Your name?")
    )
    second = upload(client, m, key, {"menu_loop.bpmn": text}, publish=True)
    assert (
        second.status_code == 201
        and second.get_json()["number"] == 2
        and second.get_json()["published"]
    )
    new = client.post(
        "/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"])
    ).get_json()
    assert new["version"]["number"] == 2
    assert new["step"]["text"] == "Hi there! Your name?"

    # The running session stays on its version.
    still = client.get(
        f"/api/v1/sessions/{old['session_id']}", headers=auth(tokens["bot"])
    ).get_json()
    assert still["version"]["number"] == 1
    assert still["step"]["text"] == "Hello! What is your name?"

    listed = client.get(f"/api/v1/scripts/{key}/versions", headers=auth(m)).get_json()["versions"]
    assert [(v["number"], v["published"]) for v in listed] == [(1, False), (2, True)]

    back = client.post(f"/api/v1/scripts/{key}/rollback", headers=auth(m))
    assert back.get_json()["published_version"] == 1
    assert (
        client.post(
            "/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"])
        ).get_json()["version"]["number"]
        == 1
    )
    scripts = client.get("/api/v1/scripts", headers=auth(m)).get_json()["scripts"]
    assert next(s for s in scripts if s["key"] == key)["published_version"] == 1


def test_bad_bundles_name_file_and_element(client: Any, tokens: dict[str, str], key: str) -> None:
    m = tokens["methodologist"]
    broken_script = (
        (MENU / "menu_loop.bpmn").read_bytes().replace(b"turns = turns + 1", b"import os")
    )
    resp = upload(client, m, key, {"menu_loop.bpmn": broken_script})
    assert resp.status_code == 422
    details = resp.get_json()["error"]["details"]
    assert any(d["path"] == "menu_loop.bpmn#count" and "import" in d["message"] for d in details)

    unknown_form = (
        (MENU / "menu_loop.bpmn").read_bytes().replace(b"menu.schema.json", b"missing.schema.json")
    )
    resp = upload(client, m, key, {"menu_loop.bpmn": unknown_form})
    assert resp.status_code == 422
    assert any(
        d["path"] == "menu_loop.bpmn#menu" and "missing.schema.json" in d["message"]
        for d in resp.get_json()["error"]["details"]
    )

    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    resp = upload(client, m, key, {"menu_loop.bpmn": xxe})
    assert resp.status_code == 400
    assert "menu_loop.bpmn" in resp.get_json()["error"]["message"] + str(
        resp.get_json()["error"]["details"]
    )

    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><l>&d;&d;&d;&d;</l>'
    )
    resp = upload(client, m, key, {"menu_loop.bpmn": laughs})
    assert resp.status_code == 400
    assert client.get(f"/api/v1/scripts/{key}/versions", headers=auth(m)).status_code == 404
