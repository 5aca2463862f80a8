"""The API described: the OpenAPI document covers every route, the docs page serves Swagger UI
from the vendored files, and schemathesis drives every operation of a real `cuebook serve`
(gunicorn, PostgreSQL): no server error, every answer fits the document, every status is
documented."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import BUNDLES, SAMPLES, auth
from tests.support.worker_env import worker_env
from web.described import description_of

CUEBOOK = Path(sys.executable).parent / "cuebook"
DOCUMENT = "/api/v1/openapi.json"
EXAMPLES_PER_OPERATION = 15
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _api_routes(app: Any) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) & METHODS
    }


def test_every_api_route_is_in_the_document_and_described(app: Any, client: Any) -> None:
    resp = client.get(DOCUMENT)
    assert resp.status_code == 200
    document = resp.get_json()
    assert document["openapi"].startswith("3.1")
    documented = set()
    for path, operations in document["paths"].items():
        for method in operations:
            documented.add((path, method.upper()))
    wanted = {(_as_template(rule), method) for rule, method in _api_routes(app)}
    assert wanted - documented == set(), "routes missing from the document"
    undescribed = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and description_of(app.view_functions[rule.endpoint]) is None
    )
    assert undescribed == [], "routes without @described"


def _as_template(rule: str) -> str:
    out, depth, name = [], 0, ""
    for char in rule:
        if char == "<":
            depth, name = 1, ""
        elif char == ">":
            depth = 0
            out.append("{" + name.split(":")[-1] + "}")
        elif depth:
            name += char
        else:
            out.append(char)
    return "".join(out)


def test_request_schemas_come_from_the_request_models(client: Any) -> None:
    from player.requests import TakeStep

    document = client.get(DOCUMENT).get_json()
    schemas = document["components"]["schemas"]
    step = document["paths"]["/api/v1/sessions/{session_id}/steps"]["post"]
    ref = step["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/TakeStep"
    assert set(schemas["TakeStep"]["properties"]) == set(TakeStep.model_fields)
    assert schemas["TakeStep"]["required"] == ["step_token"]
    assert step["security"] == [{"bearer": []}]
    assert step["x-roles"] == ["admin", "bot", "methodologist", "operator"]
    assert document["paths"][DOCUMENT]["get"]["security"] == []


def test_the_docs_page_serves_swagger_ui_from_vendored_files(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "https://" not in html and "http://" not in html  # nothing from a CDN
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/api/docs/vendor/{asset}?v=" in html
        resp = client.get(f"/api/docs/vendor/{asset}")
        assert resp.status_code == 200 and len(resp.data) > 10_000
        resp.close()
    script = client.get("/api/docs/api-docs.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.data
    script.close()
    assert client.get("/api/docs/vendor/../bpmn-js/manifest.json").status_code == 404


def test_a_nul_in_any_path_segment_names_nothing(
    app: Any, client: Any, tokens: dict[str, str]
) -> None:
    """Text with NUL can never be stored, so such a key, id or name is a 404 on every route
    (it once reached the database driver, which refuses it: a 500)."""
    for rule, method in sorted(_api_routes(app)):
        if "<" not in rule:
            continue
        template = _as_template(rule)
        url = template.format(**{name: "%00" for name in _names(rule)})
        resp = client.open(url, method=method, headers=auth(tokens["admin"]))
        assert resp.status_code == 404, (method, url, resp.get_json())


def _names(rule: str) -> list[str]:
    return [part.split(">")[0].split(":")[-1] for part in rule.split("<")[1:]]


# --- schemathesis against a live server --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_api(settings: Any, tokens: dict[str, str], tmp_path_factory: Any) -> Iterator[str]:
    """A real `cuebook serve` (gunicorn) on a free loopback port and the tests' database."""
    port = _free_port()
    env = worker_env(settings, "cuebook-openapi")
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(CUEBOOK), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + DOCUMENT, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log_path.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "cuebook serve did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def real_ids(live_api: str, tokens: dict[str, str]) -> dict[str, list[Any]]:
    """A published script with sessions on each channel, and a ticket with a work item: path
    parameters that name things that exist, so the requests reach past the look-up."""
    client = httpx.Client(base_url=live_api, headers=auth(tokens["admin"]), timeout=30)
    script, routing = (f"api{uuid.uuid4().hex[:10]}" for _ in range(2))
    for folder, key in ((SAMPLES / "chat_bot", script), (BUNDLES / "ticket_routing", routing)):
        files = [("files", (p.name, p.read_bytes())) for p in sorted(folder.iterdir())]
        resp = client.post(f"/api/v1/scripts/{key}/versions?publish=true", files=files)
        assert resp.status_code == 201, resp.text
    sessions = []
    for channel in ("chat", "ivr", "web") * 2:
        session = client.post("/api/v1/sessions", json={"script": script, "channel": channel})
        assert session.status_code == 201, session.text
        sessions.append(session.json()["session_id"])
    ticket = client.post(
        "/api/v1/tickets",
        json={"script": routing, "channel": "chat", "type": "complaint", "customer_key": "c1"},
    )
    assert ticket.status_code == 201, ticket.text
    opened = ticket.json()
    draft = client.post("/api/v1/drafts", json={"script": script})
    assert draft.status_code == 201, draft.text
    client.close()
    return {
        "key": [script],
        "routing": [routing],
        "number": [1],
        "session_id": sessions,
        "ticket_id": [opened["id"]],
        "item_id": [opened["work_items"][0]["id"]],
        "group": [opened["group"]],
        "draft_id": [draft.json()["id"]],
    }


@pytest.fixture(scope="module")
def api_schema(live_api: str) -> Any:
    return schemathesis.openapi.from_url(live_api + DOCUMENT, timeout=10)


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _cases(operation: Any, mode: GenerationMode, ids: dict[str, list[Any]] | None) -> Any:
    """The operation's cases; with ``ids``, each path parameter one of the real ones."""
    cases = operation.as_strategy(generation_mode=mode)
    names = [name for name in ids or {} if "{" + name + "}" in operation.path]
    if not ids or not names:
        return cases
    real = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})

    def named(pair: tuple[Any, dict[str, Any]]) -> Any:
        case, chosen = pair
        case.path_parameters = {**(case.path_parameters or {}), **chosen}
        return case

    return st.tuples(cases, real).map(named)


def _real_script(case: Any, ids: dict[str, list[Any]]) -> None:
    """A session or ticket started on a real script, so generated variables reach the engine."""
    if isinstance(case.body, dict) and isinstance(case.body.get("script"), str):
        case.body["script"] = ids["routing" if "ticket" in case.path else "key"][0]


def _current_token(case: Any, base: str, token: str) -> None:
    """A step or back on a real session answers its current step (not a stale one)."""
    session = (case.path_parameters or {}).get("session_id")
    if session and isinstance(case.body, dict) and "step_token" in case.body:
        view = httpx.get(f"{base}/api/v1/sessions/{session}", headers=auth(token), timeout=30)
        if view.status_code == 200 and view.json().get("step_token"):
            case.body["step_token"] = view.json()["step_token"]


def _drive(
    operation: Any, mode: GenerationMode, token: str, ids: dict[str, list[Any]] | None = None
) -> str | None:
    """EXAMPLES_PER_OPERATION requests that fit the operation's schema (positive) or break it
    (negative), with generated path parameters or real ``ids``; the first failure."""

    @given(case=_cases(operation, mode, ids))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if ids:
            _real_script(case, ids)
            _current_token(case, operation.schema.get_base_url(), token)
        case.call_and_validate(headers=auth(token), checks=CHECKS, timeout=30)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every operation is driven; all reported
        where = " on real ids" if ids else ""
        return f"{operation.label} ({mode.value}{where}): {str(exc)[:3000]}"
    return None


@pytest.mark.timeout(900)
def test_every_operation_keeps_to_the_document(
    api_schema: Any, tokens: dict[str, str], real_ids: dict[str, list[Any]]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 50
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    runs = [(op, mode, None) for op in operations for mode in modes]
    starts = ("/api/v1/sessions", "/api/v1/tickets")
    with_ids = [op for op in operations if "{" in op.path or op.path in starts]
    runs += [(op, mode, real_ids) for op in with_ids for mode in modes]
    driven = (_drive(op, mode, tokens["admin"], ids) for op, mode, ids in runs)
    failures = [failure for failure in driven if failure]
    assert failures == [], "\n\n".join(failures)
