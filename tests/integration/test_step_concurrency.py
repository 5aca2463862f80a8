"""Two submits of one step at the same moment: exactly one applies (row lock on PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import BUNDLES, auth

MENU = BUNDLES / "menu_loop"


def test_concurrent_submits_apply_once(
    app: Any, tokens: dict[str, str], deploy: Any, key: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter")
    deploy(MENU, key)
    bot = tokens["bot"]
    client = app.test_client()
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(bot)).get_json()
    sid = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"name": "Ann"}},
        headers=auth(bot),
    ).get_json()["session_id"]
    for _round in range(5):
        current = client.get(f"/api/v1/sessions/{sid}", headers=auth(bot)).get_json()
        barrier = threading.Barrier(4)
        results: list[Any] = []

        def submit(
            barrier: threading.Barrier = barrier,
            token: str = current["step_token"],
            results: list[Any] = results,
        ) -> None:
            c = app.test_client()
            barrier.wait()
            r = c.post(
                f"/api/v1/sessions/{sid}/steps",
                json={"step_token": token, "answer": {"choice": "again"}},
                headers=auth(bot),
            )
            results.append((r.status_code, r.get_json()))

        threads = [threading.Thread(target=submit) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [code for code, _ in results] == [200] * 4
        assert len({body["step_token"] for _, body in results}) == 1
    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(bot)).get_json()["history"]
    menu_left = [h for h in hist if h["event"] == "left" and h["element"] == "menu"]
    assert len(menu_left) == 5
    final = client.get(f"/api/v1/sessions/{sid}", headers=auth(bot)).get_json()
    assert final["step"]["text"] == "Ann, turn 5: again or stop?"


def test_concurrent_starts_with_one_session_key_make_one_session(
    app: Any, tokens: dict[str, str], deploy: Any, key: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter")
    deploy(MENU, key)
    bot = tokens["bot"]
    for n in range(5):
        barrier = threading.Barrier(4)
        results: list[Any] = []

        def start(
            barrier: threading.Barrier = barrier, results: list[Any] = results, n: int = n
        ) -> None:
            c = app.test_client()
            barrier.wait()
            r = c.post(
                "/api/v1/sessions",
                json={"script": key, "session_key": f"chat-{n}"},
                headers=auth(bot),
            )
            results.append((r.status_code, r.get_json()["session_id"]))

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({sid for _, sid in results}) == 1
        assert sorted(code for code, _ in results) == [200, 200, 200, 201]
