"""A call activity into another script: resolved to the script that publishes the called
process, pinned at deploy, and unchanged for the caller when the callee is published again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUNDLES, auth, bundle_upload

pytestmark = pytest.mark.smoke
CALLEE, CALLER = BUNDLES / "reuse_callee", BUNDLES / "reuse_caller"


def _own(folder: Any, process: str) -> dict[str, bytes]:
    """The bundle's files with the called process renamed: no other test's script serves it."""
    return {
        p.name: p.read_bytes().replace(b"identify_customer", process.encode())
        for p in folder.iterdir()
    }


def _upload(client: Any, token: str, folder: Any, key: str, replace: Any = None) -> Any:
    replace = {**_own(folder, f"identify_{key.split('-')[0]}"), **(replace or {})}
    return client.post(
        f"/api/v1/scripts/{key}/versions?publish=true",
        data=bundle_upload(folder, replace),
        headers=auth(token),
        content_type="multipart/form-data",
    )


def _walk(client: Any, token: str, key: str) -> str:
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(token)).get_json()
    assert view["step"]["id"] == "ask_phone" and view["step"]["kind"] == "form"
    bad = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"phone": "1"}},
        headers=auth(token),
    )
    assert bad.status_code == 422  # the callee's own form, from its own bundle
    view = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"phone": "+7 900 000"}},
        headers=auth(token),
    ).get_json()
    assert view["step"]["id"] == "done"
    return str(view["step"]["text"])


def test_a_call_activity_runs_the_published_script_pinned_at_deploy(
    client: Any, services: Any, tokens: dict[str, str], key: str
) -> None:
    author, op = tokens["methodologist"], tokens["operator"]
    refused = _upload(client, author, CALLER, f"{key}-caller")
    assert refused.status_code == 422
    assert f"identify_{key}" in refused.get_json()["error"]["message"]

    assert _upload(client, author, CALLEE, f"{key}-callee").status_code == 201
    made = _upload(client, author, CALLER, f"{key}-caller")
    assert made.status_code == 201, made.get_json()
    detail = client.get(f"/api/v1/scripts/{key}-caller/versions/1", headers=auth(author))
    assert detail.status_code == 200
    assert detail.get_json()["calls"] == {
        f"identify_{key}": {"script": f"{key}-callee", "version": 1}
    }
    assert _walk(client, op, f"{key}-caller") == "Identified by v1: +7 900 000"

    # The callee's next version changes nothing for the caller's version already deployed.
    v2 = _own(CALLEE, f"identify_{key}")["identify.bpmn"].replace(b'"v1"', b'"v2"')
    assert (
        _upload(client, author, CALLEE, f"{key}-callee", {"identify.bpmn": v2}).status_code == 201
    )
    services.engine.specs.clear()  # compiled again from the stored bundle: the pin holds
    assert _walk(client, op, f"{key}-caller") == "Identified by v1: +7 900 000"
    again = _upload(client, author, CALLER, f"{key}-caller")  # a new deploy pins v2
    assert again.status_code == 201 and again.get_json()["number"] == 2
    assert _walk(client, op, f"{key}-caller") == "Identified by v2: +7 900 000"


def test_validate_with_the_database_names_the_script_serving_each_call(
    client: Any, settings: Any, tokens: dict[str, str], key: str, monkeypatch: Any, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    from cuebook.cli import main

    assert _upload(client, tokens["methodologist"], CALLEE, f"{key}-served").status_code == 201
    for name, data in _own(CALLER, f"identify_{key}").items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setenv("CUEBOOK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUEBOOK_DATABASE_SCHEMA", settings.database_schema or "")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"call activity target 'identify_{key}': script {key}-served v1" in result.output
    offline = CliRunner().invoke(main, ["validate", "--offline", str(tmp_path)])
    assert offline.exit_code == 0
    assert f"'identify_{key}': found when deployed" in offline.output
