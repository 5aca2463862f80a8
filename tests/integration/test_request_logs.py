"""One log line per request: request id (the client's or a new one, returned in a header),
method, route, status, duration, the session with its script and version, the actor; never
a token, an answer or a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from cuebook.logs import JsonFormatter, Masker, TextFormatter
from tests.conftest import BUNDLES, auth

pytestmark = pytest.mark.postgres

MENU = BUNDLES / "menu_loop"
ANSWER = "Zebediah-Quillfeather"  # a name no other text contains


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cuebook.requests"]


def test_a_step_logs_one_line_with_its_session_and_no_answer(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    deploy(MENU, key)
    token = tokens["operator"]
    caplog.set_level(logging.INFO, logger="cuebook.requests")
    started = client.post(
        "/api/v1/sessions",
        json={"script": key},
        headers={**auth(token), "X-Request-Id": "req-start-1"},
    )
    assert started.headers["X-Request-Id"] == "req-start-1"
    view = started.get_json()
    sid = view["session_id"]
    caplog.clear()
    resp = client.post(
        f"/api/v1/sessions/{sid}/steps",
        json={"step_token": view["step_token"], "answer": {"name": ANSWER}},
        headers={**auth(token), "X-Request-Id": "req-step-2"},
    )
    assert resp.status_code == 200
    assert resp.headers["X-Request-Id"] == "req-step-2"

    (record,) = request_lines(caplog)
    fields = record.cuebook  # type: ignore[attr-defined]
    assert fields["request_id"] == "req-step-2"
    assert fields["method"] == "POST"
    assert fields["route"] == "/api/v1/sessions/<session_id>/steps"
    assert fields["status"] == 200
    assert fields["duration_ms"] > 0
    assert (fields["session_id"], fields["script"], fields["version"]) == (sid, key, 1)
    assert fields["actor"] == "test-operator"

    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "info" and line["logger"] == "cuebook.requests"
    assert line["message"].startswith("POST /api/v1/sessions/<session_id>/steps 200 ")
    for name in ("request_id", "route", "status", "session_id", "script", "version", "actor"):
        assert line[name] == fields[name]
    text = TextFormatter().format(record)
    assert f"session_id={sid}" in text and "request_id=req-step-2" in text
    for written in (JsonFormatter().format(record), text, caplog.text):
        assert ANSWER not in written
        assert token not in written


def test_a_refused_step_still_names_its_session_script_and_version(
    client: Any, tokens: dict[str, str], deploy: Any, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    deploy(MENU, key)
    view = client.post(
        "/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"])
    ).get_json()
    caplog.set_level(logging.INFO, logger="cuebook.requests")
    caplog.clear()
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"name": ANSWER, "age": 200}},
        headers={**auth(tokens["bot"]), "X-Request-Id": "bad id <script>" + "x" * 200},
    )
    assert resp.status_code == 422
    new_id = resp.headers["X-Request-Id"]
    assert len(new_id) == 32 and new_id.isalnum(), "a malformed id is replaced"
    (record,) = request_lines(caplog)
    fields = record.cuebook  # type: ignore[attr-defined]
    assert fields["status"] == 422 and fields["request_id"] == new_id
    assert (fields["script"], fields["version"], fields["actor"]) == (key, 1, "test-bot")
    assert ANSWER not in caplog.text


def test_requests_without_a_session_or_a_token_log_what_they_have(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cuebook.requests")
    client.get("/api/v1/scripts", headers={"Authorization": "Bearer cb_not-a-real-token-123456"})
    client.get("/healthz")
    unauthorised, health = request_lines(caplog)
    assert unauthorised.cuebook["status"] == 401  # type: ignore[attr-defined]
    assert "actor" not in unauthorised.cuebook  # type: ignore[attr-defined]
    assert "session_id" not in health.cuebook  # type: ignore[attr-defined]
    assert health.cuebook["route"] == "/healthz"  # type: ignore[attr-defined]
    assert "cb_not-a-real-token" not in caplog.text


def test_secrets_and_tokens_are_masked_in_any_line() -> None:
    masker = Masker(["s3cr3t-value", "pw"])
    record = logging.LogRecord(
        "cuebook.integrations",
        logging.WARNING,
        __file__,
        1,
        "calling with %s and Authorization: Bearer abc.def-123 and cb_%s",
        ("s3cr3t-value", "A" * 30),
        None,
    )
    for formatter in (JsonFormatter(masker), TextFormatter(masker)):
        written = formatter.format(record)
        assert "s3cr3t-value" not in written and "abc.def-123" not in written
        assert "A" * 30 not in written and "***" in written
