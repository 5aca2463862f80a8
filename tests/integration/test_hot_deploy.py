"""Publishing while sessions start and step: no request fails, new sessions take the new
version from the commit on, running sessions stay on theirs, through a publish and a
rollback alike."""

from __future__ import annotations

import json
import threading
from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import outbox
from tests.conftest import BUNDLES, auth, bundle_upload
from tests.support.waiting import join_all, wait_until

MENU = BUNDLES / "menu_loop"


def test_publish_under_load(app: Any, tokens: dict[str, str], deploy: Any, key: str) -> None:
    deploy(MENU, key)
    bot, m = auth(tokens["bot"]), auth(tokens["methodologist"])
    client = app.test_client()
    text = (MENU / "menu_loop.bpmn").read_bytes().replace(b"What is your name?", b"Your name, v2?")
    staged = client.post(
        f"/api/v1/scripts/{key}/versions",
        data=bundle_upload(MENU, {"menu_loop.bpmn": text}),
        headers=m,
        content_type="multipart/form-data",
    )
    assert staged.status_code == 201 and staged.get_json()["number"] == 2
    running = client.post("/api/v1/sessions", json={"script": key}, headers=bot).get_json()

    stop = threading.Event()
    failures: list[str] = []
    seen: list[tuple[float, int]] = []
    published_at: list[float] = []
    clock = threading.Lock()
    counter = [0]

    def tick() -> float:
        with clock:
            counter[0] += 1
            return counter[0]

    def load() -> None:
        c = app.test_client()
        while not stop.is_set():
            before = tick()
            r = c.post("/api/v1/sessions", json={"script": key}, headers=bot)
            if r.status_code != 201:
                failures.append(r.get_data(as_text=True))
                continue
            view = r.get_json()
            seen.append((before, view["version"]["number"]))
            s = c.post(
                f"/api/v1/sessions/{view['session_id']}/steps",
                json={"step_token": view["step_token"], "answer": {"name": "Load"}},
                headers=bot,
            )
            if s.status_code != 200:
                failures.append(s.get_data(as_text=True))

    def load_safely() -> None:
        try:
            load()
        except BaseException as exc:  # a dead load thread must not leave the waits below hanging
            failures.append(repr(exc))
            raise

    def sessions_on(version: int) -> bool:
        assert failures == [], failures
        return sum(1 for _, v in seen if v == version) >= 20

    threads = [threading.Thread(target=load_safely, name=f"load-{n}") for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: sessions_on(1), "20 sessions on version 1", timeout=30, every=0.01)
        published = client.post(f"/api/v1/scripts/{key}/versions/2/publish", headers=m)
        assert published.status_code == 200
        published_at.append(tick())
        wait_until(lambda: sessions_on(2), "20 sessions on version 2", timeout=30, every=0.01)
    finally:
        stop.set()
        join_all(threads, "the load threads after the stop")

    assert failures == []
    # Every session started after the publish committed is on version 2.
    assert all(v == 2 for at, v in seen if at > published_at[0])
    assert any(v == 1 for _, v in seen)
    old = client.get(f"/api/v1/sessions/{running['session_id']}", headers=bot).get_json()
    assert old["version"]["number"] == 1 and old["step"]["text"] == "Hello! What is your name?"
    done = client.post(
        f"/api/v1/sessions/{running['session_id']}/steps",
        json={"step_token": running["step_token"], "answer": {"name": "Old"}},
        headers=bot,
    )
    assert done.status_code == 200 and done.get_json()["version"]["number"] == 1


# Version 2 asks the name differently and then thanks the caller: no menu, other step ids.
THANKS = (
    b'<bpmn:sequenceFlow id="f2" sourceRef="name" targetRef="thanks"/>'
    b'<bpmn:userTask id="thanks" name="Thanks"><bpmn:extensionElements>'
    b"<spiffworkflow:instructionsForEndUser>Thanks, {{ name }}."
    b"</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>"
    b"<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>v2end</bpmn:outgoing></bpmn:userTask>"
    b'<bpmn:sequenceFlow id="v2end" sourceRef="thanks" targetRef="end"/>'
)
V2 = (
    (MENU / "menu_loop.bpmn")
    .read_bytes()
    .replace(b"Hello! What is your name?", b"Version 2: your name?")
    .replace(b'<bpmn:sequenceFlow id="f2" sourceRef="name" targetRef="menu"/>', THANKS)
    .replace(
        b"<bpmn:incoming>f6</bpmn:incoming>",
        b"<bpmn:incoming>f6</bpmn:incoming><bpmn:incoming>v2end</bpmn:incoming>",
    )
)


def _step(client: Any, headers: dict[str, str], view: dict[str, Any], answer: Any) -> Any:
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": answer},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _started_on(services: Any, sid: str) -> int:
    """The version the session.started event of ``sid`` names."""
    q = sa.select(outbox.c.payload).where(outbox.c.key == sid, outbox.c.topic == "session.started")
    with services.database.unit_of_work() as uow:
        [payload] = uow.conn.execute(q).scalars().all()
    return int(json.loads(payload)["data"]["version"])


def _visited(client: Any, headers: dict[str, str], sid: str) -> set[str]:
    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=headers).get_json()["history"]
    return {h["element"] for h in hist if h["event"] in ("entered", "left")}


def test_running_sessions_finish_on_their_version_after_publish_and_rollback(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    bot, m = auth(tokens["bot"]), auth(tokens["methodologist"])
    deploy(MENU, key)
    old = client.post("/api/v1/sessions", json={"script": key}, headers=bot).get_json()
    assert old["version"]["number"] == 1
    old = _step(client, bot, old, {"name": "Old"})
    assert old["step"]["id"] == "menu"

    assert deploy(MENU, key, {"menu_loop.bpmn": V2})["number"] == 2
    new = client.post("/api/v1/sessions", json={"script": key}, headers=bot).get_json()
    assert new["version"]["number"] == 2 and new["step"]["text"] == "Version 2: your name?"
    new = _step(client, bot, new, {"name": "New"})
    assert new["step"]["id"] == "thanks" and new["version"]["number"] == 2

    rolled = client.post(f"/api/v1/scripts/{key}/rollback", headers=m)
    assert rolled.status_code == 200 and rolled.get_json()["published_version"] == 1
    after = client.post("/api/v1/sessions", json={"script": key}, headers=bot).get_json()
    assert after["version"]["number"] == 1 and after["step"]["text"] == "Hello! What is your name?"

    # The version 1 session goes on through version 1's menu, the version 2 session through
    # version 2's thanks, each to its own end.
    old = _step(client, bot, old, {"choice": "again"})
    assert old["version"]["number"] == 1 and old["step"]["text"] == "Old, turn 1: again or stop?"
    old = _step(client, bot, old, {"choice": "stop"})
    assert old["status"] == "completed" and old["version"]["number"] == 1
    new = _step(client, bot, new, {})
    assert new["status"] == "completed" and new["version"]["number"] == 2
    for view, number in ((old, 1), (new, 2), (after, 1)):
        sid = view["session_id"]
        fetched = client.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
        assert fetched["version"]["number"] == number
        assert _started_on(services, sid) == number
    assert {"menu", "count", "gw", "end"} <= _visited(client, bot, old["session_id"])
    assert "thanks" not in _visited(client, bot, old["session_id"])
    assert {"thanks", "end"} <= _visited(client, bot, new["session_id"])
    assert "menu" not in _visited(client, bot, new["session_id"])

    versions = client.get(f"/api/v1/scripts/{key}/versions", headers=m).get_json()["versions"]
    assert {v["number"]: v["published"] for v in versions} == {1: True, 2: False}
