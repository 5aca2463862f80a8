"""Publishing while sessions start and step: no request fails, new sessions take the new
version from the commit on, running sessions stay on theirs."""

from __future__ import annotations

import threading
from typing import Any

from tests.conftest import BUNDLES, auth, bundle_upload

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

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    while len(seen) < 20:
        threading.Event().wait(0.01)
    assert client.post(f"/api/v1/scripts/{key}/versions/2/publish", headers=m).status_code == 200
    published_at.append(tick())
    while sum(1 for _, v in seen if v == 2) < 20:
        threading.Event().wait(0.01)
    stop.set()
    for t in threads:
        t.join()

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
