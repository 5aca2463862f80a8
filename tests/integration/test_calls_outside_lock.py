"""Service tasks call integration functions with no row lock and no database connection held.

A backend that holds its answer (the local server's /gate) keeps several steps waiting on
it; meanwhile other sessions step to their end through the same small pool, the waiting
sessions' rows can be locked by anyone, and the pool has no connection checked out. A step
whose session moved while its call was in flight is noticed and changes nothing more.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cuebook.app import create_app
from cuebook.settings import Settings
from cuebook.wiring import build_services
from engine.persistence.database import normalize_url
from engine.timers import fire_due_timers
from tests.conftest import BUNDLES, auth, bundle_upload
from tests.support.http_server import LocalServer, running_server

BUNDLE = BUNDLES / "service_tasks"
SLOW = 6  # steps held by the backend at once: more than the pool's 1 + 2 overflow connections
pytestmark = pytest.mark.postgres


@pytest.fixture()
def remote() -> Iterator[LocalServer]:
    with running_server() as httpd:
        yield httpd
        httpd.state.gate.set()


@pytest.fixture()
def small_pool(settings: Settings, is_postgres: bool) -> Iterator[Any]:
    """An app whose pool holds one connection (plus two overflow): fewer than the callers."""
    if not is_postgres:
        pytest.skip("row locks and the pool are PostgreSQL's")
    own = Settings(
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        secret_key="t",
        var_dir=settings.var_dir,
        integration_allowed_hosts="127.0.0.1",
        db_pool_size=1,
    )
    services = build_services(own)
    app = create_app(own, services)
    app.config["TESTING"] = True
    yield app, services
    services.invoker.close()
    services.database.dispose()


def _wire(app: Any, remote: LocalServer, tokens: dict[str, str], bundle: Path = BUNDLE) -> str:
    """Functions on the local server, and ``bundle`` deployed to call them."""
    client = app.test_client()
    m = auth(tokens["methodologist"])
    suffix = uuid.uuid4().hex[:8]
    for name in ("check_outage", "open_ticket"):
        fn = {
            "name": f"{name}_{suffix}",
            "version": 1,
            "parameters": [
                {"name": "district", "type": "string", "default": ""},
                {"name": "path", "type": "string", "default": "echo"},
                {"name": "key", "type": "string", "default": ""},
            ],
            "request": {"method": "GET", "url": remote.base + "/{{ path | raw }}"},
            "response": {"results": {"status": "data.items[0].status"}},
            "timeout_s": 15,
        }
        resp = client.post("/api/v1/integrations", json=fn, headers=m)
        assert resp.status_code == 201, resp.get_json()
    bpmn_name = next(p.name for p in bundle.iterdir() if p.suffix == ".bpmn")
    text = (bundle / bpmn_name).read_bytes()
    for name in (b"check_outage", b"open_ticket"):
        text = text.replace(b'id="' + name + b'"', b'id="' + name + b"_" + suffix.encode() + b'"')
    key = f"lock{suffix}"
    resp = client.post(
        f"/api/v1/scripts/{key}/versions?publish=true",
        data=bundle_upload(bundle, {bpmn_name: text}),
        headers=m,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return key


def _start(app: Any, bot: dict[str, str], key: str) -> dict[str, Any]:
    resp = app.test_client().post("/api/v1/sessions", json={"script": key}, headers=bot)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def _step(app: Any, bot: dict[str, str], view: dict[str, Any], path: str) -> Any:
    return app.test_client().post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"district": "North", "path": path}},
        headers=bot,
    )


def _wait_for(what: str, check: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_held_call_holds_no_lock_and_no_connection(
    small_pool: Any, remote: LocalServer, tokens: dict[str, str], settings: Settings
) -> None:
    app, services = small_pool
    bot = auth(tokens["bot"])
    key = _wire(app, remote, tokens)
    slow = [_start(app, bot, key) for _ in range(SLOW)]
    answers: dict[int, Any] = {}

    def take(i: int) -> None:
        answers[i] = _step(app, bot, slow[i], "gate")

    threads = [threading.Thread(target=take, args=(i,), daemon=True) for i in range(SLOW)]
    for t in threads:
        t.start()
    _wait_for("every slow step to reach the backend", lambda: remote.state.seen("gate") >= SLOW)

    # While the backend holds every call: no connection is checked out of the pool ...
    assert services.database.engine.pool.checkedout() == 0
    # ... no waiting session's row is locked ...
    ids = [v["session_id"] for v in slow]
    engine = sa.create_engine(
        normalize_url(settings.database_url),
        connect_args={"options": f"-csearch_path={settings.database_schema}"},
    )
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
            locked = conn.execute(
                sa.text("SELECT id FROM instances WHERE id = ANY(:ids) FOR UPDATE NOWAIT"),
                {"ids": ids},
            ).all()
            assert len(locked) == SLOW
    finally:
        engine.dispose()
    # ... and other sessions walk to their end through the same small pool.
    for _ in range(3):
        view = _start(app, bot, key)
        resp = _step(app, bot, view, "echo")
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["step"]["id"] == "result"
        assert resp.get_json()["step"]["text"] == "ok in "
    assert all(t.is_alive() for t in threads), "a held step finished before its call"

    remote.state.gate.set()
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive()
    for i in range(SLOW):
        assert answers[i].status_code == 200, answers[i].get_json()
        assert answers[i].get_json()["step"]["id"] == "result"


def test_a_session_that_moved_during_the_call_is_not_moved_twice(
    small_pool: Any, remote: LocalServer, tokens: dict[str, str]
) -> None:
    app, _services = small_pool
    bot = auth(tokens["bot"])
    key = _wire(app, remote, tokens)
    view = _start(app, bot, key)
    held: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: held.update(resp=_step(app, bot, view, "gate")), daemon=True
    )
    thread.start()
    _wait_for("the held call", lambda: remote.state.seen("gate") >= 1)
    # The same step again (a bot's retry), answered at once by the echo backend.
    quick = _step(app, bot, view, "echo")
    assert quick.status_code == 200 and quick.get_json()["step"]["id"] == "result"
    remote.state.gate.set()
    thread.join(timeout=15)
    assert not thread.is_alive()
    # The held step runs again after its call, sees its token was used: a retry, no change.
    late = held["resp"]
    assert late.status_code == 200, late.get_json()
    assert late.get_json()["step_token"] == quick.get_json()["step_token"]
    history = (
        app.test_client()
        .get(f"/api/v1/sessions/{view['session_id']}/history", headers=bot)
        .get_json()["history"]
    )
    left_ask = [h for h in history if h["event"] == "left" and h["element"] == "ask"]
    assert len(left_ask) == 1, history


def test_a_step_goes_on_from_its_service_task_after_the_call(
    small_pool: Any, remote: LocalServer, tokens: dict[str, str], monkeypatch: Any
) -> None:
    """The attempt after the call continues the workflow the first attempt stopped with:
    no saved state is read and nothing before the service task runs again."""
    app, services = small_pool
    bot = auth(tokens["bot"])
    key = _wire(app, remote, tokens)
    view = _start(app, bot, key)
    restored: list[str] = []
    runner = services.engine.runner
    original = runner.restore
    monkeypatch.setattr(runner, "restore", lambda *a: restored.append("state") or original(*a))
    resp = _step(app, bot, view, "echo")
    assert resp.status_code == 200 and resp.get_json()["step"]["id"] == "result"
    assert restored == []
    history = (
        app.test_client()
        .get(f"/api/v1/sessions/{view['session_id']}/history", headers=bot)
        .get_json()["history"]
    )
    left = [h["element"] for h in history if h["event"] == "left"]
    assert left.count("ask") == 1 and len(left) == len(set(left)), left


def test_a_timer_pass_calls_outside_the_lock(
    small_pool: Any, remote: LocalServer, tokens: dict[str, str]
) -> None:
    app, services = small_pool
    bot = auth(tokens["bot"])
    key = _wire(app, remote, tokens, BUNDLES / "timer_then_call")
    when = datetime.now(UTC) + timedelta(seconds=1)
    due = when.isoformat()
    resp = app.test_client().post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"when": due, "path": "gate"}},
        headers=bot,
    )
    assert resp.status_code == 201, resp.get_json()
    view = resp.get_json()
    assert view["step"]["id"] == "wait"
    _wait_for("the timer to fall due", lambda: datetime.now(UTC) > when)
    fired: list[int] = []
    worker = threading.Thread(
        target=lambda: fired.append(fire_due_timers(services.database, services.engine)),
        daemon=True,
    )
    worker.start()
    _wait_for("the timer's service call", lambda: remote.state.seen("gate") >= 1)
    assert services.database.engine.pool.checkedout() == 0
    assert worker.is_alive()
    remote.state.gate.set()
    worker.join(timeout=15)
    assert not worker.is_alive() and fired and fired[0] >= 1
    after = app.test_client().get(f"/api/v1/sessions/{view['session_id']}", headers=bot)
    assert after.get_json()["step"]["id"] == "result"
    assert after.get_json()["step"]["text"] == "ok"
