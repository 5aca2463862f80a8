"""Inbound messages through the worker's inbound loop (a consumer fed in-process): delivered
as POST /api/v1/messages delivers, repeats dropped, early ones kept and delivered when the
session starts waiting, poison ones dead-lettered (and retried over the API)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine.events import inbound as inbound_module
from engine.events.consumer import InboundLoop, Record
from engine.events.early import expire_kept, sweep_kept
from engine.events.known import KnownMessages
from engine.events.metrics import EARLY
from engine.persistence.tables import dead_letters, outbox, pending_messages
from tests.conftest import BUNDLES, auth

WAIT = BUNDLES / "message_wait"

pytestmark = pytest.mark.smoke


class FakeConsumer:
    """Records handed in by the test; commits and rewinds remembered."""

    def __init__(self) -> None:
        self.queue: list[Record] = []
        self.committed: list[int] = []
        self.offset = 0

    def send(self, value: Any) -> Record:
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        record = Record("cuebook.inbound", 0, self.offset, raw)
        self.offset += 1
        self.queue.append(record)
        return record

    def poll(self, timeout: float) -> list[Record]:
        records, self.queue = self.queue, []
        return records

    def commit(self, records: list[Record]) -> None:
        self.committed += [r.offset for r in records]

    def rewind(self, records: list[Record]) -> None:
        self.queue = list(records) + self.queue

    def close(self) -> None:
        pass


@pytest.fixture()
def inbound(services: Any) -> tuple[InboundLoop, FakeConsumer]:
    consumer = FakeConsumer()
    loop = InboundLoop(
        services.database,
        services.engine,
        consumer,
        KnownMessages(services.database, refresh_every=0),
        attempts=2,
        retry_pause=0,
    )
    return loop, consumer


def _start(client: Any, tokens: dict[str, str], key: str, session_key: str) -> dict[str, Any]:
    view = client.post(
        "/api/v1/sessions",
        json={"script": key, "session_key": session_key},
        headers=auth(tokens["operator"]),
    ).get_json()
    assert view["step"]["id"] == "ask", view
    return view  # type: ignore[no-any-return]


def _step(client: Any, tokens: dict[str, str], view: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers=auth(tokens["operator"]),
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def _view(client: Any, tokens: dict[str, str], sid: str) -> dict[str, Any]:
    return client.get(f"/api/v1/sessions/{sid}", headers=auth(tokens["operator"])).get_json()  # type: ignore[no-any-return]


def _message(correlation_key: str, **values: Any) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex,
        "name": "crm_update",
        "correlation_key": correlation_key,
        "payload": {"status": "ok", "divisor": 2},
        "sender": "crm",
        **values,
    }


def _letters(services: Any, *message_ids: str) -> list[dict[str, Any]]:
    q = sa.select(dead_letters).where(dead_letters.c.message_id.in_(message_ids))
    with services.database.unit_of_work() as uow:
        return [dict(r) for r in uow.conn.execute(q.order_by(dead_letters.c.id)).mappings()]


def test_a_message_reaches_the_waiting_session_once(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str, inbound: Any
) -> None:
    loop, consumer = inbound
    deploy(WAIT, key)
    waiting = _step(client, tokens, _start(client, tokens, key, f"call-{key}"))
    assert waiting["step"]["id"] == "wait_crm"

    message = _message(f"call-{key}")
    first = consumer.send(message)
    again = consumer.send(message)  # the same message id, sent twice
    assert loop.run_once(0) == 2
    assert consumer.committed[-2:] == [first.offset, again.offset]
    view = _view(client, tokens, waiting["session_id"])
    assert view["step"]["id"] == "after" and view["step"]["text"] == "ok"
    history = client.get(
        f"/api/v1/sessions/{waiting['session_id']}/history", headers=auth(tokens["admin"])
    ).get_json()["history"]
    assert [h["actor"] for h in history if h["element"] == "wait_crm" and h["event"] == "left"] == [
        "crm"
    ], "delivered once, as its sender"


def test_an_early_message_waits_for_its_session_then_expires_unclaimed(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str, inbound: Any
) -> None:
    loop, consumer = inbound
    deploy(WAIT, key)
    view = _start(client, tokens, key, f"early-{key}")
    consumer.send(_message(f"early-{key}"))  # the session is at "ask", not waiting yet
    assert loop.run_once(0) == 1
    with services.database.unit_of_work() as uow:
        kept = uow.conn.execute(
            sa.select(pending_messages.c.id).where(
                pending_messages.c.correlation_key == f"early-{key}"
            )
        ).all()
    assert len(kept) == 1

    arrived = _step(client, tokens, view)  # now it waits: the kept message goes in at once
    assert arrived["step"]["id"] == "wait_crm"
    assert _view(client, tokens, view["session_id"])["step"]["id"] == "after"
    with services.database.unit_of_work() as uow:
        left = uow.conn.execute(
            sa.select(pending_messages.c.id).where(pending_messages.c.id == kept[0][0])
        ).all()
    assert left == []

    nobody = _message(f"nobody-{key}")
    consumer.send(nobody)
    loop.run_once(0)
    expired = EARLY.labels("expired")._value.get()
    assert expire_kept(services.database, datetime.now(UTC) + timedelta(hours=2)) >= 1
    assert EARLY.labels("expired")._value.get() >= expired + 1


def test_the_sweep_delivers_to_a_session_that_started_waiting(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(WAIT, key)
    view = _start(client, tokens, key, f"sweep-{key}")
    arrived = _step(client, tokens, view)
    assert arrived["step"]["id"] == "wait_crm"
    # Kept behind the session's back (as if the delivery after its commit never ran).
    now = datetime.now(UTC)
    with services.database.unit_of_work() as uow:
        uow.conn.execute(
            pending_messages.insert().values(
                message_id=uuid.uuid4().hex,
                name="crm_update",
                correlation_key=f"sweep-{key}",
                payload=json.dumps({"status": "swept", "divisor": 1}),
                sender="crm",
                received_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
    assert sweep_kept(services.database, services.engine) >= 1
    view = _view(client, tokens, view["session_id"])
    assert view["step"]["id"] == "after" and view["step"]["text"] == "swept"


def test_poison_messages_become_dead_letters_and_the_loop_goes_on(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str, inbound: Any
) -> None:
    loop, consumer = inbound
    deploy(WAIT, key)
    waiting = _step(client, tokens, _start(client, tokens, key, f"poison-{key}"))
    unknown = _message(f"poison-{key}", name="crm_updte")
    broken = {"message_id": uuid.uuid4().hex, "name": "crm_update"}  # no target
    failing = _message(f"poison-{key}", payload={"status": "x", "divisor": 0})
    no_session = _message("", session_id=str(uuid.uuid4()))
    del no_session["correlation_key"]
    good = _message(f"poison-{key}")
    consumer.send(b"{not json")
    for message in (unknown, broken, failing, no_session, good):
        consumer.send(message)
    assert loop.run_once(0) == 6
    assert consumer.committed[-6:] == list(range(consumer.offset - 6, consumer.offset))
    assert _view(client, tokens, waiting["session_id"])["step"]["id"] == "after"

    letters = {
        r["message_id"]: r
        for r in _letters(
            services, unknown["message_id"], broken["message_id"], failing["message_id"],
            no_session["message_id"],
        )
    }  # fmt: skip
    assert letters[unknown["message_id"]]["reason"] == "unknown_message"
    assert letters[broken["message_id"]]["reason"] == "invalid"
    assert "correlation_key" in letters[broken["message_id"]]["error"]
    assert letters[failing["message_id"]]["reason"] == "delivery_failed"
    assert letters[failing["message_id"]]["attempts"] == 2
    assert letters[no_session["message_id"]]["reason"] == "no_such_session"
    q = sa.select(outbox.c.topic, outbox.c.payload).where(
        outbox.c.key.in_([str(r["id"]) for r in letters.values()])
    )
    with services.database.unit_of_work() as uow:
        events = uow.conn.execute(q).all()
    assert {topic for topic, _ in events} == {"dead-letter"}
    assert {json.loads(p)["type"] for _, p in events} == {"message.dead_lettered"}

    listed = client.get("/api/v1/dead-letters?limit=1000", headers=auth(tokens["admin"]))
    assert listed.status_code == 200
    ids = {d["message_id"]: d["id"] for d in listed.get_json()["dead_letters"]}
    assert set(letters) <= set(ids)
    assert client.get("/api/v1/dead-letters", headers=auth(tokens["operator"])).status_code == 403

    # The failing one, retried after the session was moved on: still undeliverable now.
    retried = client.post(
        f"/api/v1/dead-letters/{ids[unknown['message_id']]}/retry", headers=auth(tokens["admin"])
    )
    assert retried.status_code == 422


def test_a_retried_dead_letter_is_delivered(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str, inbound: Any
) -> None:
    loop, consumer = inbound
    deploy(WAIT, key)
    waiting = _step(client, tokens, _start(client, tokens, key, f"retry-{key}"))
    failing = _message(f"retry-{key}", payload={"status": "fixed", "divisor": 0})
    consumer.send(failing)
    loop.run_once(0)
    [letter] = _letters(services, failing["message_id"])
    assert letter["status"] == "dead"
    # Fix the stored message (as an admin would after a CRM bug was fixed) and retry it.
    fixed = json.dumps({**failing, "payload": {"status": "fixed", "divisor": 5}})
    with services.database.unit_of_work() as uow:
        uow.conn.execute(
            dead_letters.update().where(dead_letters.c.id == letter["id"]).values(message=fixed)
        )
    resp = client.post(f"/api/v1/dead-letters/{letter['id']}/retry", headers=auth(tokens["admin"]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["outcome"] == "delivered" and body["delivered_to"] == [waiting["session_id"]]
    assert body["dead_letter"]["status"] == "retried"
    assert _view(client, tokens, waiting["session_id"])["step"]["text"] == "fixed"
    again = client.post(f"/api/v1/dead-letters/{letter['id']}/retry", headers=auth(tokens["admin"]))
    assert again.status_code == 409


# -- over HTTP: the same rule ---------------------------------------------------------------

PAID = BUNDLES / "message_schema"


def _post(client: Any, tokens: dict[str, str], message: dict[str, Any]) -> Any:
    return client.post("/api/v1/messages", json=message, headers=auth(tokens["bot"]))


def test_an_early_message_over_http_is_kept_then_delivered(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(WAIT, key)
    message = _message(f"http-early-{key}")
    del message["sender"]
    before = datetime.now(UTC)
    kept = _post(client, tokens, message)  # no session at all yet
    assert kept.status_code == 202, kept.get_json()
    body = kept.get_json()
    assert body["outcome"] == "kept" and body["delivered_to"] == []
    assert body["message_id"] == message["message_id"]
    ttl = timedelta(seconds=services.settings.events.early_message_ttl)
    until = datetime.fromisoformat(body["kept_until"])
    assert before + ttl <= until <= datetime.now(UTC) + ttl
    again = _post(client, tokens, message)  # the same message id: dropped as a repeat
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"

    view = _start(client, tokens, key, f"http-early-{key}")
    arrived = _step(client, tokens, view)  # it waits now: the kept message goes in at once
    assert arrived["step"]["id"] == "wait_crm"
    now = _view(client, tokens, view["session_id"])
    assert now["step"]["id"] == "after" and now["step"]["text"] == "ok"
    with services.database.unit_of_work() as uow:
        left = uow.conn.execute(
            sa.select(pending_messages.c.id).where(
                pending_messages.c.message_id == message["message_id"]
            )
        ).all()
    assert left == []


def test_a_message_over_http_to_a_waiting_session_is_delivered_at_once(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(WAIT, key)
    waiting = _step(client, tokens, _start(client, tokens, key, f"http-now-{key}"))
    resp = _post(client, tokens, {"name": "crm_update", "correlation_key": f"http-now-{key}",
                                  "payload": {"status": "now", "divisor": 1}})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["outcome"] == "delivered" and body["delivered_to"] == [waiting["session_id"]]
    assert body["message_id"]  # one of its own when the sender gives none
    assert _view(client, tokens, waiting["session_id"])["step"]["text"] == "now"


def test_http_refuses_an_unknown_name_and_a_bad_target(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(WAIT, key)
    unknown = _post(client, tokens, {"name": f"nobody_{key}", "correlation_key": "k"})
    assert unknown.status_code == 422
    error = unknown.get_json()["error"]
    assert f"nobody_{key}" in error["message"]
    assert [d["path"] for d in error["details"]] == ["name"]
    both = _post(client, tokens, {"name": "crm_update", "correlation_key": "k",
                                  "session_id": str(uuid.uuid4())})  # fmt: skip
    assert both.status_code == 422
    assert [d["path"] for d in both.get_json()["error"]["details"]] == ["session_id"]
    nobody = _post(client, tokens, {"name": "crm_update", "session_id": str(uuid.uuid4())})
    assert nobody.status_code == 404


def test_a_payload_schema_refuses_over_http_and_dead_letters_from_kafka(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str, inbound: Any
) -> None:
    loop, consumer = inbound
    deploy(PAID, key)
    waiting = _step(client, tokens, _start(client, tokens, key, f"paid-{key}"))
    bad = {"name": "order_paid", "correlation_key": f"paid-{key}", "payload": {"status": 5}}
    refused = _post(client, tokens, bad)
    assert refused.status_code == 422
    details = {d["path"]: d["message"] for d in refused.get_json()["error"]["details"]}
    assert set(details) == {"payload/status", "payload/divisor"}, details
    one = client.post(
        f"/api/v1/sessions/{waiting['session_id']}/messages",
        json={"name": "order_paid", "payload": {"status": "ok", "divisor": 0}},
        headers=auth(tokens["operator"]),
    )
    assert one.status_code == 422
    assert [d["path"] for d in one.get_json()["error"]["details"]] == ["payload/divisor"]

    poison = _message(f"paid-{key}", name="order_paid", payload={"status": "ok"})
    good = _message(f"paid-{key}", name="order_paid", payload={"status": "late", "divisor": 2})
    consumer.send(poison)
    consumer.send(good)
    assert loop.run_once(0) == 2
    [letter] = _letters(services, poison["message_id"])
    assert letter["reason"] == "invalid_payload"
    assert "payload/divisor" in letter["error"]
    assert _view(client, tokens, waiting["session_id"])["step"]["text"] == "late"


def test_a_poll_is_received_in_one_transaction_and_a_failing_message_on_its_own(
    client: Any,
    services: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    inbound: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop, consumer = inbound
    deploy(WAIT, key)
    sessions = [
        _step(client, tokens, _start(client, tokens, key, f"batch{n}-{key}"))["session_id"]
        for n in range(4)
    ]
    first = _message(f"batch0-{key}", payload={"status": "b0", "divisor": 1})
    failing = _message(f"batch1-{key}", payload={"status": "b1", "divisor": 0})
    early = _message(f"batch-nobody-{key}")
    messages = [
        first,
        dict(first),  # a repeat inside the same poll
        failing,
        _message(f"batch2-{key}", payload={"status": "b2", "divisor": 1}),
        early,
        _message(f"batch3-{key}", payload={"status": "b3", "divisor": 1}),
    ]
    for message in messages:
        consumer.send(message)
    batches: list[int] = []
    receive_all = inbound_module._receive_all

    def counted(engine: Any, batch: Any, keep_for: Any, uow: Any) -> Any:
        batches.append(len(batch))
        return receive_all(engine, batch, keep_for, uow)

    monkeypatch.setattr(inbound_module, "_receive_all", counted)
    assert loop.run_once(0) == len(messages)
    assert consumer.committed[-len(messages) :] == list(
        range(consumer.offset - len(messages), consumer.offset)
    )
    texts = [_view(client, tokens, sid)["step"]["text"] for sid in sessions]
    assert texts[0] == "b0" and texts[2:] == ["b2", "b3"]
    assert _view(client, tokens, sessions[1])["step"]["id"] == "wait_crm"  # its script failed
    [letter] = _letters(services, failing["message_id"])
    assert letter["reason"] == "delivery_failed"
    with services.database.unit_of_work() as uow:
        kept = uow.conn.execute(
            sa.select(pending_messages.c.id).where(
                pending_messages.c.message_id == early["message_id"]
            )
        ).all()
    assert len(kept) == 1
    # The first run stops at the failing message and is done again without it; the failing
    # one is tried once more in a run of its own, then handled alone; the rest is one run.
    assert batches == [6, 2, 4, 3]


def test_a_message_over_http_for_one_session_waits_for_it(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(WAIT, key)
    view = _start(client, tokens, key, f"by-id-{key}")  # at "ask": not waiting yet
    message = {"name": "crm_update", "session_id": view["session_id"],
               "payload": {"status": "by id", "divisor": 1}}  # fmt: skip
    kept = _post(client, tokens, message)
    assert kept.status_code == 202 and kept.get_json()["outcome"] == "kept"
    _step(client, tokens, view)
    assert _view(client, tokens, view["session_id"])["step"]["text"] == "by id"
