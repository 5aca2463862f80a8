"""Call-backs: scheduled over the API or by a script step, fired once by the worker into the
operator's hands or the group's queue, cancelled; bad requests named."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cuebook.app import create_app
from engine.operators.callback_firing import fire_due_callbacks, settle_done_callbacks
from engine.persistence.tables import callbacks, outbox, tickets
from tests.conftest import BUNDLES, auth, bundle_upload
from tests.support.waiting import wait_until
from tests.support.worker_env import worker_env
from tests.support.workspace import (
    ROUTING,
    make_operator,
    routing_with_callbacks,
    services_with_script,
    set_presence,
)

pytestmark = pytest.mark.smoke

SCRIPT_BUNDLE = BUNDLES / "schedules_callback"


@pytest.fixture(scope="module")
def routing(app: Any, tokens: dict[str, str]) -> str:
    """A routing script that takes call-backs, published under a key of this module."""
    key = f"cb{uuid.uuid4().hex[:10]}"
    resp = app.test_client().post(
        f"/api/v1/scripts/{key}/versions?publish=true",
        data=bundle_upload(ROUTING, routing_with_callbacks()),
        headers=auth(tokens["methodologist"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return key


@pytest.fixture(scope="module")
def svc(settings: Any, routing: str) -> Any:
    built = services_with_script(settings, routing)
    yield built
    built.database.dispose()


@pytest.fixture(scope="module")
def api(settings: Any, svc: Any, routing: str) -> Any:
    application = create_app(replace(settings, ticket_script=routing), svc)
    application.config["TESTING"] = True
    return application.test_client()


def soon(minutes: float = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def schedule(api: Any, token: str, **fields: Any) -> Any:
    body: dict[str, Any] = {"customer_key": f"cust-{uuid.uuid4().hex[:8]}", "due_at": soon()}
    body.update(fields)
    return api.post("/api/v1/callbacks", json=body, headers=auth(token))


def fire_later(svc: Any, routing: str, minutes: float = 60) -> int:
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    return fire_due_callbacks(
        svc.database, replace(svc.engine, clock=lambda: later), script=routing
    )


def events_of(svc: Any, key: str) -> list[str]:
    with svc.database.unit_of_work() as uow:
        rows = uow.conn.execute(
            sa.select(outbox.c.topic).where(outbox.c.key == key).order_by(outbox.c.id)
        )
        return [str(r) for r in rows.scalars()]


def test_schedule_read_list_and_cancel(api: Any, svc: Any) -> None:
    token, login, _ = make_operator(svc)
    made = schedule(api, token, note="about the invoice", phone="+7 900 123-45-67")
    assert made.status_code == 201, made.get_json()
    callback = made.get_json()
    assert callback["operator"] == login and callback["group"] is None  # the operator asking
    assert callback["status"] == "scheduled" and callback["phone"] == "+79001234567"
    assert callback["created_by"] == login and callback["ticket_id"] is None

    shown = api.get(f"/api/v1/callbacks/{callback['id']}", headers=auth(token))
    assert shown.status_code == 200 and shown.get_json() == callback
    later = schedule(api, token, due_at=soon(90)).get_json()
    listed = api.get(f"/api/v1/callbacks?operator={login}", headers=auth(token)).get_json()
    assert [c["id"] for c in listed["items"]] == [callback["id"], later["id"]]

    gone = api.delete(f"/api/v1/callbacks/{callback['id']}", headers=auth(token))
    assert gone.status_code == 200 and gone.get_json()["status"] == "cancelled"
    again = api.delete(f"/api/v1/callbacks/{callback['id']}", headers=auth(token))
    assert again.status_code == 409, again.get_json()
    assert again.get_json()["error"]["details"][0]["path"] == "status"
    api.delete(f"/api/v1/callbacks/{later['id']}", headers=auth(token))
    assert events_of(svc, callback["id"]) == ["callback.scheduled", "callback.cancelled"]
    missing = api.get(f"/api/v1/callbacks/{uuid.uuid4()}", headers=auth(token))
    assert missing.status_code == 404


def test_bad_requests_name_the_field_and_change_nothing(api: Any, svc: Any) -> None:
    token, _login, operator_id = make_operator(svc)

    def refused(resp: Any, path: str, status: int = 422) -> None:
        assert resp.status_code == status, resp.get_json()
        assert path in [d["path"] for d in resp.get_json()["error"]["details"]], resp.get_json()

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused(schedule(api, token, due_at=past), "due_at")
    refused(schedule(api, token, due_at="tomorrow"), "due_at")
    refused(schedule(api, token, due_at="2030-01-01T10:00:00"), "due_at")  # no zone
    refused(schedule(api, token, delay_minutes=10), "due_at")  # both
    refused(schedule(api, token, due_at=None, delay_minutes=0), "delay_minutes")
    refused(schedule(api, token, group="no_such_desk"), "group")
    refused(schedule(api, token, operator="nobody-at-all"), "operator")
    refused(schedule(api, token, customer_key=None), "customer_key")
    refused(schedule(api, token, phone="call me"), "phone")
    bot = make_operator(svc, role="bot")[0]
    refused(schedule(api, bot), "group")  # a bot names who calls back
    with svc.database.unit_of_work() as uow:
        count = uow.conn.execute(
            sa.select(sa.func.count()).where(callbacks.c.operator_id == operator_id)
        ).scalar_one()
    assert count == 0


def _ticket(svc: Any, ticket_id: str) -> dict[str, Any]:
    with svc.database.unit_of_work() as uow:
        row = uow.conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings()
        return dict(row.one())


def test_a_due_call_back_is_the_operators_work_once(api: Any, svc: Any, routing: str) -> None:
    token, login, _ = make_operator(svc, groups=("billing",))
    callback = schedule(api, token, group="billing", note="call about refund").get_json()
    assert fire_due_callbacks(svc.database, svc.engine, script=routing) == 0  # not due yet
    assert fire_later(svc, routing) >= 1
    assert fire_later(svc, routing) == 0  # exactly once

    fired = api.get(f"/api/v1/callbacks/{callback['id']}", headers=auth(token)).get_json()
    assert fired["status"] == "fired" and fired["fired_at"] and fired["ticket_id"]
    ticket = api.get(f"/api/v1/tickets/{fired['ticket_id']}", headers=auth(token)).get_json()
    assert ticket["type"] == "callback" and ticket["group"] == "billing"
    assert ticket["body"] == "call about refund"
    assert ticket["attributes"]["callback_id"] == callback["id"]
    (item,) = ticket["work_items"]
    assert item["assignee"] == login and item["group"] == "billing"
    held = api.get("/api/v1/work-items", headers=auth(token)).get_json()["items"]
    assert [i["work_item_id"] for i in held] == [item["id"]]
    route = api.get(f"/api/v1/tickets/{ticket['id']}/route", headers=auth(token)).get_json()
    events = [(e["event"], e["to_group"]) for e in route["entries"]]
    assert ("transferred", "billing") in events and ("claimed", "billing") in events
    assert events_of(svc, callback["id"]) == ["callback.scheduled", "callback.fired"]

    assert settle_done_callbacks(svc.database, svc.engine) == 0  # the call is not made yet
    answer = {"answer": {"resolution": "resolved", "note": "called back"}}
    done = api.post(f"/api/v1/work-items/{item['id']}/complete", json=answer, headers=auth(token))
    assert done.status_code == 200 and done.get_json()["status"] == "resolved", done.get_json()
    assert settle_done_callbacks(svc.database, svc.engine) >= 1
    settled = api.get(f"/api/v1/callbacks/{callback['id']}", headers=auth(token)).get_json()
    assert settled["status"] == "done"
    assert events_of(svc, callback["id"])[-1] == "callback.done"
    refused = api.delete(f"/api/v1/callbacks/{callback['id']}", headers=auth(token))
    assert refused.status_code == 409


def test_an_away_operators_call_back_waits_in_the_group_queue(
    api: Any, svc: Any, routing: str
) -> None:
    token, login, operator_id = make_operator(svc, groups=("billing",))
    callback = schedule(
        api, token, group="billing", customer_key=None, phone="+79005550101"
    ).get_json()
    set_presence(svc, operator_id, "away")
    assert fire_later(svc, routing) >= 1
    fired = api.get(f"/api/v1/callbacks/{callback['id']}", headers=auth(token)).get_json()
    ticket = _ticket(svc, fired["ticket_id"])
    assert ticket["customer_key"] == "phone:+79005550101" and ticket["group"] == "billing"
    queue = api.get("/api/v1/queues/billing?limit=200", headers=auth(token)).get_json()
    waiting = [i for i in queue["items"] if i.get("ticket_id") == fired["ticket_id"]]
    assert len(waiting) == 1 and waiting[0]["assignee"] is None
    held = api.get("/api/v1/work-items", headers=auth(token)).get_json()["items"]
    assert held == [] and fired["operator"] == login


def test_a_script_step_schedules_a_call_back(
    api: Any, svc: Any, deploy: Any, key: str, tokens: dict[str, str]
) -> None:
    deploy(SCRIPT_BUNDLE, key)
    bot = auth(tokens["bot"])
    phone = f"+7900{uuid.uuid4().int % 10**7:07d}"
    view = api.post(
        "/api/v1/sessions",
        json={"script": key, "channel": "chat", "variables": {"phone": phone, "topic": "bills"}},
        headers=bot,
    ).get_json()
    resp = api.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"minutes": 45}},
        headers=bot,
    )
    assert resp.status_code == 200, resp.get_json()
    assert (
        resp.get_json()["messages"][0]["text"]
        == "We will call you back (scheduled, group billing)."
    )
    with svc.database.unit_of_work() as uow:
        rows = uow.conn.execute(sa.select(callbacks).where(callbacks.c.phone == phone)).mappings()
        (row,) = rows.all()
    assert row["group"] == "billing" and row["note"] == "asked in chat about bills"
    assert row["created_by"] == "callbacks" and row["status"] == "scheduled"
    due = row["due_at"] if row["due_at"].tzinfo else row["due_at"].replace(tzinfo=UTC)
    assert timedelta(minutes=44) < due - datetime.now(UTC) <= timedelta(minutes=45)
    api.delete(f"/api/v1/callbacks/{row['id']}", headers=auth(tokens["operator"]))


def _worker(settings: Any, folder: Path, routing: str) -> subprocess.Popen[bytes]:
    name = f"worker-{uuid.uuid4().hex[:8]}"
    env = worker_env(settings, name, CUEBOOK_TICKET_SCRIPT=routing)
    cuebook = Path(sys.executable).parent / "cuebook"
    with (folder / f"{name}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [str(cuebook), "worker", "--interval", "0.1"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder,
        )  # fmt: skip


def test_two_cuebook_workers_fire_a_due_call_back_once(
    api: Any, svc: Any, settings: Any, routing: str, tmp_path: Path
) -> None:
    token, login, _ = make_operator(svc, groups=("billing",))
    callback = schedule(api, token, due_at=None, delay_minutes=0.05).get_json()  # in 3 s
    workers = [_worker(settings, tmp_path, routing) for _ in range(2)]
    try:

        def fired() -> dict[str, Any] | None:
            found = api.get(f"/api/v1/callbacks/{callback['id']}", headers=auth(token)).get_json()
            return found if found["status"] == "fired" else None

        done = wait_until(fired, "a worker to fire the call-back", timeout=60)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    assert done is not None
    with svc.database.unit_of_work() as uow:
        opened = uow.conn.execute(
            sa.select(tickets.c.id, tickets.c.attributes).where(tickets.c.type == "callback")
        ).all()
    mine = [
        t for t, attributes in opened if json.loads(attributes)["callback_id"] == callback["id"]
    ]
    assert mine == [done["ticket_id"]]
    assert events_of(svc, callback["id"]) == ["callback.scheduled", "callback.fired"]
    held = api.get("/api/v1/work-items", headers=auth(token)).get_json()["items"]
    assert [i["ticket_id"] for i in held] == mine and login == done["operator"]
