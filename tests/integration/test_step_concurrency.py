"""Two submits of one step at the same moment: exactly one applies (row lock on PostgreSQL).

The overlap is made certain, not left to chance: another connection holds the instance row
lock while the submits are sent, and the test sees both wait on it before letting go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from engine.persistence.tables import instances
from tests.conftest import BUNDLES, auth
from tests.support.waiting import join_all, wait_until

MENU = BUNDLES / "menu_loop"


# Backends waiting, directly or behind another waiter, for a lock the given backend holds.
BLOCKED_BEHIND = sa.text(
    """
    WITH RECURSIVE blocked(pid) AS (
        SELECT pid FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))
        UNION
        SELECT a.pid FROM pg_stat_activity a JOIN blocked b ON b.pid = ANY(pg_blocking_pids(a.pid))
    )
    SELECT count(*) FROM pg_stat_activity
    WHERE pid IN (SELECT pid FROM blocked) AND wait_event_type = 'Lock'
    """
)


@contextmanager
def instance_row_locked(services: Any, sid: str) -> Iterator[int]:
    """Hold the instance row lock from another connection; yields that backend's pid."""
    with services.database.engine.connect() as conn, conn.begin():
        locked = sa.select(instances.c.id).where(instances.c.id == sid).with_for_update()
        assert conn.execute(locked).scalar_one() == sid
        yield int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _blocked_behind(services: Any, holder: int) -> int:
    with services.database.engine.connect() as conn:
        return int(conn.execute(BLOCKED_BEHIND, {"holder": holder}).scalar_one())


def test_concurrent_submits_apply_once(
    app: Any,
    services: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    is_postgres: bool,
) -> None:
    """Two submits of one step wait together on the row lock; once it is free, one takes the
    step and the other is answered as a retry (200, the current view), changing nothing."""
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
    for turn in range(1, 6):
        current = client.get(f"/api/v1/sessions/{sid}", headers=auth(bot)).get_json()
        barrier = threading.Barrier(2, timeout=10)
        results: list[Any] = []

        def submit(
            barrier: threading.Barrier = barrier,
            token: str = current["step_token"],
            results: list[Any] = results,
        ) -> None:
            c = app.test_client()
            barrier.wait()
            try:
                r = c.post(
                    f"/api/v1/sessions/{sid}/steps",
                    json={"step_token": token, "answer": {"choice": "again"}},
                    headers=auth(bot),
                )
                results.append((r.status_code, r.get_json()))
            except BaseException as exc:  # reported by the assertions below
                results.append((None, repr(exc)))

        threads = [threading.Thread(target=submit, name=f"submit-{n}") for n in (1, 2)]
        with instance_row_locked(services, sid) as holder:
            for t in threads:
                t.start()
            wait_until(
                lambda holder=holder: _blocked_behind(services, holder) == 2,
                "both submits to wait on the instance row lock",
            )
            assert results == [], "a submit finished while the row was locked"
        join_all(threads, "the two submits after the row lock was released")

        assert [code for code, _ in results] == [200, 200], results
        assert len({body["step_token"] for _, body in results}) == 1, "both see the same step"
        assert results[0][1]["step_token"] != current["step_token"], "the step was taken"
        hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(bot)).get_json()
        menu_left = [h for h in hist["history"] if h["event"] == "left" and h["element"] == "menu"]
        assert len(menu_left) == turn, "exactly one of the two submits applied"
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
        barrier = threading.Barrier(4, timeout=10)
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
        join_all(threads, "four starts with one session key")
        assert len({sid for _, sid in results}) == 1
        assert sorted(code for code, _ in results) == [200, 200, 200, 201]
