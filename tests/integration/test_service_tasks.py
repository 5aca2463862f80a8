"""Service tasks calling integration functions on a real local HTTP server, through the API."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from cuebook.app import create_app
from cuebook.settings import Settings
from cuebook.wiring import build_services
from tests.conftest import BUNDLES, auth
from tests.support.http_server import LocalServer, running_server

BUNDLE = BUNDLES / "service_tasks"
SECRET = "crm-Secret/Value&42"


@pytest.fixture(scope="module")
def remote() -> Iterator[LocalServer]:
    with running_server() as httpd:
        yield httpd


@pytest.fixture(scope="module")
def svc_app(settings: Settings) -> Iterator[Any]:
    """An app whose secret store holds CRM_TOKEN (the shared app has no secrets)."""
    own = Settings(
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        secret_key="t",
        var_dir=settings.var_dir,
        integration_allowed_hosts="127.0.0.1",
        env={"CUEBOOK_SECRET_CRM_TOKEN": SECRET},
    )
    services = build_services(own)
    app = create_app(own, services)
    app.config["TESTING"] = True
    yield app
    services.invoker.close()
    services.database.dispose()


def functions(remote: LocalServer, suffix: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"check_outage_{suffix}",
            "description": "Is there an outage in the district?",
            "version": 1,
            "parameters": [
                {"name": "district", "type": "string"},
                {"name": "path", "type": "string", "default": "echo"},
            ],
            "request": {
                "method": "GET",
                "url": remote.base + "/{{ path | raw }}",
                "query": {"district": "{{ district }}"},
                "headers": {"Authorization": "Bearer {{ secrets.CRM_TOKEN }}"},
            },
            "response": {
                "results": {
                    "status": "data.items[0].status",
                    "district": "received.query.district[0]",
                }
            },
            "timeout_s": 2,
            "secrets": ["CRM_TOKEN"],
        },
        {
            "name": f"open_ticket_{suffix}",
            "description": "Open a ticket in the CRM",
            "version": 1,
            "parameters": [{"name": "key", "type": "string"}],
            "request": {
                "method": "GET",
                "url": remote.base + "/flaky",
                "query": {"key": "{{ key }}", "fails": "1"},
            },
            "response": {"results": {"attempt": "attempt"}},
            "timeout_s": 2,
        },
    ]


@pytest.fixture()
def wired(svc_app: Any, remote: LocalServer, tokens: dict[str, str]) -> dict[str, Any]:
    return wire(svc_app, remote, tokens)


def wire(
    svc_app: Any, remote: LocalServer, tokens: dict[str, str], *, cache_s: float = 0
) -> dict[str, Any]:
    """Functions created over the API (``check_outage`` cached for ``cache_s`` if given) and
    the bundle deployed against them."""
    client = svc_app.test_client()
    suffix = uuid.uuid4().hex[:8]
    m = auth(tokens["methodologist"])
    for fn in functions(remote, suffix):
        if cache_s and fn["name"].startswith("check_outage"):
            fn["cache"] = {"ttl_s": cache_s}
        resp = client.post("/api/v1/integrations", json=fn, headers=m)
        assert resp.status_code == 201, resp.get_json()
    text = (BUNDLE / "service_tasks.bpmn").read_bytes()
    text = text.replace(b'id="check_outage"', f'id="check_outage_{suffix}"'.encode())
    text = text.replace(b'id="open_ticket"', f'id="open_ticket_{suffix}"'.encode())
    key = f"svc{suffix}"
    from tests.conftest import bundle_upload

    resp = client.post(
        f"/api/v1/scripts/{key}/versions?publish=true",
        data=bundle_upload(BUNDLE, {"service_tasks.bpmn": text}),
        headers=m,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return {"client": client, "key": key, "suffix": suffix}


def step(client: Any, token: str, view: dict[str, Any], answer: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(token),
    )


def test_results_reach_the_step_and_a_boundary_error_takes_the_flow(
    wired: dict[str, Any], tokens: dict[str, str], remote: LocalServer
) -> None:
    client, key, op = wired["client"], wired["key"], tokens["operator"]
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
    ok = step(client, op, view, {"district": "Северный & Co", "path": "echo"}).get_json()
    assert ok["step"]["id"] == "result"
    assert ok["step"]["text"] == "ok in Северный & Co"
    seen = remote.state.requests[-1]
    assert seen["headers"]["authorization"] == f"Bearer {SECRET}"

    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
    diverted = step(client, op, view, {"district": "north", "path": "status/500"}).get_json()
    assert diverted["step"]["id"] == "sorry"
    hist = client.get(
        f"/api/v1/sessions/{view['session_id']}/history", headers=auth(op)
    ).get_json()["history"]
    assert any(h["element"] == "check" and h["kind"] == "diverted" for h in hist)
    assert SECRET not in json.dumps(hist)


def test_a_cached_result_is_taken_inside_the_step_s_transaction(
    svc_app: Any, remote: LocalServer, tokens: dict[str, str]
) -> None:
    """A miss stops the step, rolls its transaction back and calls outside the lock; a hit
    is taken in place: one transaction, nothing rolled back, nothing sent."""
    wired = wire(svc_app, remote, tokens, cache_s=60)
    client, key, op = wired["client"], wired["key"], tokens["operator"]
    engine = svc_app.extensions["cuebook"].database.engine
    rollbacks: list[int] = []

    def count(_conn: Any) -> None:
        rollbacks.append(1)

    sa.event.listen(engine, "rollback", count)
    try:
        taken = []
        for _ in range(2):
            view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op))
            before, sent = len(rollbacks), remote.state.hits["echo"]
            answer = {"district": f"cached {wired['suffix']}", "path": "echo"}
            done = step(client, op, view.get_json(), answer).get_json()
            assert done["step"]["text"] == f"ok in cached {wired['suffix']}"
            taken.append((len(rollbacks) - before, remote.state.hits["echo"] - sent))
    finally:
        sa.event.remove(engine, "rollback", count)
    assert taken == [(1, 1), (0, 0)]


def test_uncaught_failure_changes_nothing_and_a_retry_succeeds(
    wired: dict[str, Any], tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, key, op = wired["client"], wired["key"], tokens["operator"]
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(op)).get_json()
    view = step(
        client, op, view, {"district": "north", "path": "echo", "ticket_key": wired["suffix"]}
    ).get_json()
    assert view["step"]["id"] == "result"
    with caplog.at_level(logging.DEBUG):
        failed = step(client, op, view, {})
    assert failed.status_code == 502
    err = failed.get_json()["error"]
    assert err["code"] == "integration_failed"
    assert err["message"].startswith(f"could not reach open_ticket_{wired['suffix']}: HTTP 503")
    assert err["element"] == "ticket"
    assert err["function"] == f"open_ticket_{wired['suffix']}" and err["retry"] is True
    same = client.get(f"/api/v1/sessions/{view['session_id']}", headers=auth(op)).get_json()
    assert same["step"]["id"] == "result" and same["step_token"] == view["step_token"]
    retried = step(client, op, view, {}).get_json()
    assert retried["step"]["id"] == "done"
    assert retried["step"]["text"] == "ticket attempt 2"
    assert SECRET not in caplog.text


def test_registry_api_validation_roles_test_and_stats(
    wired: dict[str, Any], tokens: dict[str, str], remote: LocalServer
) -> None:
    client, suffix = wired["client"], wired["suffix"]
    m = auth(tokens["methodologist"])
    name = f"check_outage_{suffix}"
    listed = client.get("/api/v1/integrations", headers=m).get_json()["functions"]
    assert name in [f["name"] for f in listed]
    shown = client.get(f"/api/v1/integrations/{name}", headers=m)
    assert shown.status_code == 200 and shown.get_json()["version"] == 1
    assert SECRET not in shown.get_data(as_text=True)
    assert (
        client.get(f"/api/v1/integrations/{name}", headers=auth(tokens["operator"])).status_code
        == 403
    )
    assert (
        client.post("/api/v1/integrations", json={}, headers=auth(tokens["bot"])).status_code == 403
    )
    again = client.post("/api/v1/integrations", json=functions(remote, suffix)[0], headers=m)
    assert again.status_code == 409

    bad = dict(functions(remote, suffix)[0], parameters=[{"name": "x", "type": "strange"}])
    resp = client.put(f"/api/v1/integrations/{name}", json=bad, headers=m)
    assert resp.status_code == 422
    assert any(
        d["path"].startswith("parameters[0].type") for d in resp.get_json()["error"]["details"]
    )

    changed = dict(functions(remote, suffix)[0], timeout_s=3)
    assert (
        client.put(f"/api/v1/integrations/{name}", json=changed, headers=m).get_json()["version"]
        == 2
    )

    tried = client.post(
        f"/api/v1/integrations/{name}/test", json={"parameters": ["Южный"]}, headers=m
    )
    body = tried.get_json()
    assert body["ok"] is True and body["status"] == 200 and body["results"]["district"] == "Южный"
    assert SECRET not in tried.get_data(as_text=True)
    assert "***" in json.dumps(body["request"])
    failing = client.post(
        f"/api/v1/integrations/{name}/test",
        json={"parameters": {"district": "x", "path": "status/503"}},
        headers=m,
    ).get_json()
    assert failing["ok"] is False and failing["status"] == 503
    stats = client.get(f"/api/v1/integrations/{name}/stats", headers=m).get_json()
    assert stats["calls"] >= 2 and stats["errors"] >= 1
    exposed = client.get("/metrics").get_data(as_text=True)
    assert f'cuebook_integration_calls_total{{function="{name}"}}' in exposed

    ssrf = dict(functions(remote, suffix)[0], name=f"ssrf_{suffix}")
    ssrf["request"] = dict(ssrf["request"], url="http://127.0.0.2/{{ path | raw }}")
    assert client.post("/api/v1/integrations", json=ssrf, headers=m).status_code == 201
    refused = client.post(
        f"/api/v1/integrations/ssrf_{suffix}/test", json={"parameters": ["x"]}, headers=m
    ).get_json()
    assert refused["ok"] is False and refused["error"]["kind"] == "refused"

    assert client.delete(f"/api/v1/integrations/ssrf_{suffix}", headers=m).status_code == 204
    assert client.get(f"/api/v1/integrations/ssrf_{suffix}", headers=m).status_code == 404


def test_deploy_checks_functions_and_parameters(
    wired: dict[str, Any], tokens: dict[str, str]
) -> None:
    from tests.conftest import bundle_upload

    client, suffix = wired["client"], wired["suffix"]
    m = auth(tokens["methodologist"])
    text = (BUNDLE / "service_tasks.bpmn").read_bytes()
    text = text.replace(b'id="check_outage"', f'id="check_outage_{suffix}"'.encode())
    text = text.replace(
        b'<spiffworkflow:parameter id="district" type="str" value="district"/>', b""
    )
    resp = client.post(
        f"/api/v1/scripts/bad{suffix}/versions",
        data=bundle_upload(BUNDLE, {"service_tasks.bpmn": text}),
        headers=m,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    messages = {d["path"]: d["message"] for d in resp.get_json()["error"]["details"]}
    assert "required parameter 'district'" in messages["service_tasks.bpmn#check"]
    assert "unknown integration function 'open_ticket'" in messages["service_tasks.bpmn#ticket"]


def test_secret_never_stored(wired: dict[str, Any], svc_app: Any) -> None:
    services = svc_app.extensions["cuebook"]
    with services.database.engine.connect() as conn:
        for table in ("history", "instances", "outbox", "integration_functions"):
            dump = json.dumps(
                [list(r) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))], default=str
            )
            assert SECRET not in dump, table
