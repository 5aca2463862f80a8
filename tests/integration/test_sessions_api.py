"""The script API end to end through Flask: start, step, errors, idempotent retries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUNDLES, auth
from tests.support.waiting import tries, wait_until

MENU = BUNDLES / "menu_loop"

pytestmark = pytest.mark.smoke


def start(client: Any, token: str, key: str, **extra: Any) -> Any:
    return client.post("/api/v1/sessions", json={"script": key, **extra}, headers=auth(token))


def step(client: Any, token: str, sid: str, step_token: str, **reply: Any) -> Any:
    return client.post(
        f"/api/v1/sessions/{sid}/steps",
        json={"step_token": step_token, **reply},
        headers=auth(token),
    )


def test_walk_to_the_end(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> None:
    deploy(MENU, key)
    op = tokens["operator"]
    resp = start(client, op, key, variables={"vip": True})
    assert resp.status_code == 201
    view = resp.get_json()
    assert view["status"] == "waiting"
    assert view["version"] == {"script": key, "number": 1}
    assert view["step"]["id"] == "name"
    assert view["step"]["kind"] == "form"
    assert view["step"]["text"] == "Hello! What is your name?"
    assert view["step"]["hints"] == "Ask politely."
    assert view["step"]["schema"]["required"] == ["name"]
    assert view["step"]["can_go_back"] is False
    sid = view["session_id"]

    view = step(client, op, sid, view["step_token"], answer={"name": "Anna"}).get_json()
    assert view["step"]["kind"] == "choice"
    assert view["step"]["text"] == "Anna, turn 0: again or stop?"
    assert [o["value"] for o in view["step"]["options"]] == ["again", "stop"]
    view = step(client, op, sid, view["step_token"], answer={"choice": "again"}).get_json()
    assert view["step"]["text"] == "Anna, turn 1: again or stop?"
    view = step(client, op, sid, view["step_token"], answer={"choice": "stop"}).get_json()
    assert view["status"] == "completed"
    assert view["step"]["kind"] == "end"
    assert view["step"]["text"] == "Bye, Anna: 2 turns."
    assert view["step_token"] is None

    again = client.get(f"/api/v1/sessions/{sid}", headers=auth(op)).get_json()
    assert again["status"] == "completed"

    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(op)).get_json()["history"]
    events = [(h["event"], h["element"]) for h in hist]
    assert events[0] == ("started", "")
    assert ("left", "name") in events and ("entered", "menu") in events
    assert events[-1] == ("ended", "end")
    left_name = next(h for h in hist if h["event"] == "left" and h["element"] == "name")
    assert left_name["answer"] == {"name": "Anna"}
    assert left_name["actor"] == "test-operator"
    assert left_name["channel"] == "web"


def test_invalid_answer_names_the_field_and_changes_nothing(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    op = tokens["operator"]
    view = start(client, op, key).get_json()
    sid = view["session_id"]
    resp = step(client, op, sid, view["step_token"], answer={"name": "A", "age": 200})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "invalid_answer"
    paths = {d["path"] for d in err["details"]}
    assert paths == {"name", "age"}
    resp = step(client, op, sid, view["step_token"], answer={"age": 3})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"][0]["path"] == "name"
    same = client.get(f"/api/v1/sessions/{sid}", headers=auth(op)).get_json()
    assert same["step_token"] == view["step_token"]
    assert same["step"]["id"] == "name"
    ok = step(client, op, sid, view["step_token"], answer={"name": "Bob"})
    assert ok.status_code == 200


def test_repeated_token_returns_current_step_and_changes_nothing(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    bot = tokens["bot"]
    view = start(client, bot, key, channel="chat").get_json()
    sid, first = view["session_id"], view["step_token"]
    a = step(client, bot, sid, first, answer={"name": "Ann"}).get_json()
    b = step(client, bot, sid, first, answer={"name": "Other"}).get_json()
    assert b["step_token"] == a["step_token"]
    assert b["messages"] == a["messages"]
    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(bot)).get_json()["history"]
    assert [h["answer"] for h in hist if h["element"] == "name" and h["event"] == "left"] == [
        {"name": "Ann"}
    ]
    bogus = step(client, bot, sid, "99.deadbeef", answer={"choice": "stop"})
    assert bogus.status_code == 409
    assert bogus.get_json()["error"]["details"][0]["path"] == "step_token"


def test_errors_have_the_envelope(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    op = tokens["operator"]
    missing = client.get("/api/v1/sessions/nope", headers=auth(op))
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert start(client, op, "no-such-script").status_code == 404
    deploy(MENU, key)
    view = start(client, op, key).get_json()
    sid = view["session_id"]
    view = step(client, op, sid, view["step_token"], answer={"name": "Ann"}).get_json()
    done = step(client, op, sid, view["step_token"], answer={"choice": "stop"}).get_json()
    assert done["status"] == "completed"
    retried = step(client, op, sid, view["step_token"], answer={"choice": "stop"})
    assert retried.status_code == 200 and retried.get_json()["status"] == "completed"
    ended = step(client, op, sid, "99.feedbeef", answer={"choice": "stop"})
    assert ended.status_code == 409
    assert "ended" in ended.get_json()["error"]["message"]
    bad_channel = start(client, op, key, channel="fax")
    assert bad_channel.status_code == 422
    assert bad_channel.get_json()["error"]["details"][0]["path"] == "channel"
    no_json = client.post(
        "/api/v1/sessions", data="x", headers={**auth(op), "Content-Type": "text/plain"}
    )
    assert no_json.status_code == 400
    big = client.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"x": "y" * (2 << 20)}},
        headers=auth(op),
    )
    assert big.status_code == 413
    assert big.get_json()["error"]["code"] == "payload_too_large"


def test_tokens_and_roles(client: Any, tokens: dict[str, str], key: str) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/scripts").status_code == 401
    assert client.get("/api/v1/scripts", headers=auth("cb_wrong")).status_code == 401
    assert client.get("/api/v1/scripts", headers=auth(tokens["bot"])).status_code == 200
    files = {"files": [(__import__("io").BytesIO(b"<x/>"), "a.bpmn")]}
    denied = client.post(
        f"/api/v1/scripts/{key}/versions",
        data=files,
        headers=auth(tokens["bot"]),
        content_type="multipart/form-data",
    )
    assert denied.status_code == 403
    assert denied.get_json()["error"]["code"] == "forbidden"
    assert (
        client.post(
            f"/api/v1/scripts/{key}/versions/1/publish", headers=auth(tokens["operator"])
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/scripts/{key}/rollback", headers=auth(tokens["bot"])).status_code
        == 403
    )


def test_every_change_is_an_event(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    admin = tokens["admin"]
    before = client.get("/api/v1/events?limit=1000", headers=auth(admin)).get_json()
    position = before["next"]
    for _ in tries(1000, "the end of the event log"):
        page = client.get(
            f"/api/v1/events?after={position}&limit=1000", headers=auth(admin)
        ).get_json()
        if not page["events"]:
            break
        position = page["next"]
    deploy(MENU, key)
    view = start(client, tokens["bot"], key).get_json()
    step(client, tokens["bot"], view["session_id"], view["step_token"], answer={"name": "Eve"})

    def mine_so_far() -> list[dict[str, Any]]:
        events = client.get(f"/api/v1/events?after={position}", headers=auth(admin)).get_json()
        return [e for e in events["events"] if e["key"] in (key, view["session_id"])]

    # A page shows events once every older transaction of the database has ended (the
    # cursor's horizon): another process's open transaction may hold them back a moment.
    mine = wait_until(lambda: m if len(m := mine_so_far()) >= 4 else [], "events", timeout=30)
    assert [e["type"] for e in mine] == [
        "script.version_created",
        "script.published",
        "session.started",
        "session.step_taken",
    ]
    assert all(e["schema_version"] == 1 and e["event_id"] for e in mine)
    assert mine[3]["data"]["next"] == "menu"
    assert client.get("/api/v1/events", headers=auth(tokens["bot"])).status_code == 403
