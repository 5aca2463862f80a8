"""Request bodies and query strings read into typed models: what clients see when one is wrong.

Every refusal is a 422 ``validation_failed`` with one detail per problem, each naming its
path the way integration specs do (``script``, ``request.url``, ``items[1].name``).
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import Field

from engine.errors import ValidationFailed
from tests.conftest import BUNDLES, SAMPLES, auth
from web.bodies import RequestBody, Text, parse_body

MENU = BUNDLES / "menu_loop"


def refused(resp: Any) -> dict[str, str]:
    """The details of a 422 refusal of the request, path -> message."""
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "validation_failed"
    return {d["path"]: d["message"] for d in error["details"]}


@pytest.fixture()
def session(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> dict[str, Any]:
    deploy(MENU, key)
    resp = client.post("/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"]))
    assert resp.status_code == 201
    return resp.get_json()  # type: ignore[no-any-return]


def test_unknown_fields_are_refused_by_name(
    client: Any, tokens: dict[str, str], session: dict[str, Any], key: str
) -> None:
    bot = auth(tokens["bot"])
    resp = client.post("/api/v1/sessions", json={"script": key, "chanel": "chat"}, headers=bot)
    assert refused(resp) == {"chanel": "unknown field"}
    assert resp.get_json()["error"]["message"] == "invalid request body: chanel: unknown field"

    sid, token = session["session_id"], session["step_token"]
    typo = client.post(
        f"/api/v1/sessions/{sid}/steps",
        json={"step_token": token, "answers": {"name": "Ann"}},
        headers=bot,
    )
    assert refused(typo) == {"answers": "unknown field"}
    back = client.post(
        f"/api/v1/sessions/{sid}/back", json={"step_token": token, "x": 1}, headers=bot
    )
    assert refused(back) == {"x": "unknown field"}
    message = client.post(
        "/api/v1/messages",
        json={"name": "n", "correlation_key": "k", "data": {}},
        headers=bot,
    )
    assert refused(message) == {"data": "unknown field"}
    # Nothing moved.
    same = client.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
    assert same["step_token"] == token


def test_wrong_types_name_the_field(
    client: Any, tokens: dict[str, str], session: dict[str, Any], key: str
) -> None:
    bot = auth(tokens["bot"])
    resp = client.post(
        "/api/v1/sessions",
        json={"script": 5, "variables": [], "session_key": True, "channel": "x" * 10_001},
        headers=bot,
    )
    assert refused(resp) == {
        "script": "must be text",
        "variables": "must be an object",
        "session_key": "must be text",
        "channel": "at most 10000 characters",
    }
    assert resp.get_json()["error"]["message"] == (
        "invalid request body: script: must be text (and 3 more)"
    )

    sid, token = session["session_id"], session["step_token"]
    url = f"/api/v1/sessions/{sid}/steps"
    assert refused(client.post(url, json={"step_token": 12}, headers=bot)) == {
        "step_token": "must be text"
    }
    assert refused(client.post(url, json={"step_token": token, "answer": "Ann"}, headers=bot)) == {
        "answer": "must be an object"
    }
    for digits in (True, 1.5, [1]):
        resp = client.post(url, json={"step_token": token, "digits": digits}, headers=bot)
        assert refused(resp) == {"digits": "must be text or a whole number"}, digits
    long_key = client.post(
        "/api/v1/sessions", json={"script": key, "session_key": "k" * 201}, headers=bot
    )
    assert refused(long_key) == {"session_key": "at most 200 characters"}
    long_script = client.post("/api/v1/sessions", json={"script": "s" * 101}, headers=bot)
    assert refused(long_script) == {"script": "at most 100 characters"}
    nul = client.post(url, json={"step_token": token, "speech": "a\x00b"}, headers=bot)
    assert refused(nul) == {"speech": "holds a NUL character"}


def test_missing_required_fields(
    client: Any, tokens: dict[str, str], session: dict[str, Any]
) -> None:
    bot = auth(tokens["bot"])
    assert refused(client.post("/api/v1/sessions", json={}, headers=bot)) == {
        "script": "required field is missing"
    }
    # No body at all reads as an empty object; null is the same as leaving a field out.
    assert refused(client.post("/api/v1/sessions", headers=bot)) == {
        "script": "required field is missing"
    }
    assert refused(client.post("/api/v1/sessions", json={"script": None}, headers=bot)) == {
        "script": "required field is missing"
    }
    sid = session["session_id"]
    assert refused(
        client.post(f"/api/v1/sessions/{sid}/steps", json={"text": "hi"}, headers=bot)
    ) == {"step_token": "required field is missing"}
    assert refused(client.post("/api/v1/messages", json={"name": "n"}, headers=bot)) == {
        "correlation_key": "required field is missing"
    }


def test_null_means_absent_and_digits_may_be_a_number(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    bot = auth(tokens["bot"])
    deploy(SAMPLES / "ivr_balance", key)
    started = client.post(
        "/api/v1/sessions",
        json={"script": key, "channel": "ivr", "session_key": None, "variables": None},
        headers=bot,
    )
    assert started.status_code == 201 and "ssml" in started.get_json()
    view = started.get_json()
    by_number = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "digits": 1, "answer": None, "text": None},
        headers=bot,
    )
    assert by_number.status_code == 200, by_number.get_json()

    web = client.post("/api/v1/sessions", json={"script": key, "channel": None}, headers=bot)
    assert web.status_code == 201 and web.get_json()["channel"] == "web"


def test_bodies_that_are_not_objects_keep_their_errors(client: Any, tokens: dict[str, str]) -> None:
    bot = auth(tokens["bot"])
    assert refused(client.post("/api/v1/sessions", json=[1], headers=bot)) == {
        "": "must be an object"
    }
    not_json = client.post(
        "/api/v1/sessions", data="{", headers={**bot, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "bad_request"
    plain = client.post("/api/v1/sessions", data="x", headers={**bot, "Content-Type": "text/plain"})
    assert plain.status_code == 400


class Line(RequestBody):
    name: Annotated[Text, Field(max_length=5)] = Field(description="A name.")


class Order(RequestBody):
    lines: list[Line] = Field(description="Lines.")
    meta: dict[str, int] = Field(default_factory=dict, description="Counts by name.")


def test_nested_paths_are_dotted_with_indexes(app: Any) -> None:
    body = {"lines": [{"name": "ok"}, {"name": "too long"}, {"nme": "x"}], "meta": {"a b": "1"}}
    with (
        app.test_request_context("/", method="POST", json=body),
        pytest.raises(ValidationFailed) as caught,
    ):
        parse_body(Order)
    assert (
        caught.value.message
        == "invalid request body: lines[1].name: at most 5 characters (and 3 more)"
    )
    details = {d.path: d.message for d in caught.value.details}
    assert details == {
        "lines[1].name": "at most 5 characters",
        "lines[2].name": "required field is missing",
        "lines[2].nme": "unknown field",
        'meta["a b"]': "must be a whole number",
    }


def test_integration_paths_read_the_same(client: Any, tokens: dict[str, str], key: str) -> None:
    m = auth(tokens["methodologist"])
    spec = {
        "name": f"f_{key.replace('-', '_')}",
        "version": 1,
        "parameters": [],
        "request": {"method": "GET", "url": 5},
    }
    resp = client.post("/api/v1/integrations", json=spec, headers=m)
    assert resp.status_code == 422
    paths = [d["path"] for d in resp.get_json()["error"]["details"]]
    assert "request.url" in paths
    trial = client.post("/api/v1/integrations/nope/test", json={"parameters": 5}, headers=m)
    assert refused(trial) == {"parameters": "must be a list (in order) or an object"}
    extra = client.post("/api/v1/integrations/nope/test", json={"params": []}, headers=m)
    assert refused(extra) == {"params": "unknown field"}


def test_query_arguments(client: Any, tokens: dict[str, str]) -> None:
    admin, op = auth(tokens["admin"]), auth(tokens["operator"])
    assert refused(client.get("/api/v1/events?limit=abc", headers=admin)) == {
        "limit": "must be a whole number"
    }
    assert refused(client.get("/api/v1/events?limit=5000", headers=admin)) == {
        "limit": "must be at most 1000"
    }
    page = client.get("/api/v1/events?limit=2&after=", headers=admin)
    assert page.status_code == 200 and len(page.get_json()["events"]) <= 2
    bad_cursor = client.get("/api/v1/events?after=x.y", headers=admin)
    assert bad_cursor.status_code == 400
    assert bad_cursor.get_json()["error"]["details"][0]["path"] == "after"
    assert refused(client.get("/api/v1/queues/support_l1?limit=0", headers=op)) == {
        "limit": "must be at least 1"
    }
    assert client.get("/api/v1/queues/support_l1?limit=", headers=op).status_code == 200
    assert client.get("/api/v1/queues/support_l1?limit=3", headers=op).status_code == 200
