"""The outbox relay over the real Kafka protocol (a tansu broker), read back by a consumer group."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord

from cuebook.cli import main
from cuebook.kafka_publisher import KafkaPublisher
from engine.outbox import SCHEMA_VERSION
from engine.persistence.tables import outbox
from engine.relay import Publisher, PublishFailed, relay_outbox
from tests.conftest import BUNDLES, auth
from tests.integration.kafka.conftest import requires_tansu, running_tansu
from tests.support.waiting import wait_until

MENU = BUNDLES / "menu_loop"

pytestmark = [pytest.mark.smoke, requires_tansu]


def _session_with_steps(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> str:
    """Deploy a script, start a session and take two steps; return the session id."""
    deploy(MENU, key)
    op = auth(tokens["operator"])
    view = client.post("/api/v1/sessions", json={"script": key}, headers=op).get_json()
    sid = view["session_id"]
    for answer in ({"name": "Anna"}, {"choice": "again"}):
        resp = client.post(
            f"/api/v1/sessions/{sid}/steps",
            json={"step_token": view["step_token"], "answer": answer},
            headers=op,
        )
        assert resp.status_code == 200, resp.get_json()
        view = resp.get_json()
    return str(sid)


def _rows(services: Any, *keys: str) -> list[dict[str, Any]]:
    """Outbox rows of these keys (a session id, a script key), oldest first."""
    q = sa.select(outbox).where(outbox.c.key.in_(keys)).order_by(outbox.c.id)
    with services.database.unit_of_work() as uow:
        return [dict(r) for r in uow.conn.execute(q).mappings()]


def _drain(services: Any, publisher: Publisher) -> int:
    """Relay until the outbox has nothing unpublished; other tests' events go out too."""
    total = 0
    for _ in range(1000):
        count = relay_outbox(services.database, publisher)
        if count == 0:
            return total
        total += count
    raise AssertionError("the outbox did not drain")


def _consume(
    bootstrap: str, topics: set[str], wanted: set[str], *, linger: float = 0.0
) -> list[ConsumerRecord]:
    """Records carrying the ``wanted`` event ids, read by a fresh consumer group."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"cuebook-test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        # tansu holds a group join for about half the session timeout (5 s at the default).
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    found: list[ConsumerRecord] = []
    try:
        consumer.subscribe(topics=sorted(topics))
        deadline = time.monotonic() + 15
        stop_at = deadline
        while time.monotonic() < min(deadline, stop_at):
            for records in consumer.poll(timeout_ms=200).values():
                found += [r for r in records if json.loads(r.value)["event_id"] in wanted]
            if stop_at == deadline and wanted <= {json.loads(r.value)["event_id"] for r in found}:
                stop_at = time.monotonic() + linger
    finally:
        consumer.close()
    return found


class Recording:
    """A publisher that passes events on and remembers their ids."""

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner
        self.event_ids: list[str] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.event_ids.append(json.loads(value)["event_id"])
        self.inner.publish(topic, key, value)

    def flush(self) -> None:
        self.inner.flush()


class BrokerDown:
    """A publisher whose sends are never confirmed."""

    def __init__(self) -> None:
        self.event_ids: list[str] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.event_ids.append(json.loads(value)["event_id"])

    def flush(self) -> None:
        raise PublishFailed(f"broker down: {len(self.event_ids)} event(s) not confirmed")


def test_session_events_reach_kafka_once_keyed_by_session(
    services: Any,
    client: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    kafka_bootstrap: str,
) -> None:
    sid = _session_with_steps(client, tokens, deploy, key)
    rows = _rows(services, sid, key)
    kinds = Counter(r["topic"] for r in rows)
    assert kinds["session.started"] == 1
    assert kinds["session.step_taken"] == 2
    assert kinds["script.published"] == 1
    assert all(r["published_at"] is None for r in rows)

    with KafkaPublisher(kafka_bootstrap) as publisher:
        assert _drain(services, publisher) >= len(rows)
        published = _rows(services, sid, key)
        assert all(r["published_at"] is not None for r in published)

        again = Recording(publisher)
        _drain(services, again)
        mine = {r["event_id"] for r in rows}
        assert mine.isdisjoint(again.event_ids)
        assert _rows(services, sid, key) == published

    records = _consume(kafka_bootstrap, {f"cuebook.{r['topic']}" for r in rows}, mine, linger=1.0)
    by_id = {json.loads(r.value)["event_id"]: r for r in records}
    assert set(by_id) == mine
    assert len(records) == len(mine), "an event went out twice"
    for row in rows:
        record = by_id[row["event_id"]]
        assert record.topic == f"cuebook.{row['topic']}"
        assert record.key == row["key"].encode()
        event = json.loads(record.value)
        assert event == json.loads(row["payload"])
        assert event["event_id"] == row["event_id"]
        assert event["schema_version"] == SCHEMA_VERSION
        assert event["type"] == row["topic"]
        assert event["key"] == row["key"]
    assert json.loads(by_id[rows[-1]["event_id"]].value)["data"]["script"] == key

    steps = [by_id[r["event_id"]] for r in rows if r["topic"] == "session.step_taken"]
    assert len({s.partition for s in steps}) == 1, "one session's steps share a partition"
    assert steps[0].offset < steps[1].offset, "steps arrive in the order they were taken"
    assert [json.loads(s.value)["data"]["step"] for s in steps] == ["name", "menu"]


def test_a_failed_flush_marks_nothing_and_the_next_pass_sends_it(
    services: Any,
    client: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    kafka_bootstrap: str,
) -> None:
    with KafkaPublisher(kafka_bootstrap) as publisher:
        _drain(services, publisher)
        sid = _session_with_steps(client, tokens, deploy, key)
        mine = {r["event_id"] for r in _rows(services, sid, key)}

        down = BrokerDown()
        with pytest.raises(PublishFailed, match="broker down"):
            relay_outbox(services.database, down)
        assert mine <= set(down.event_ids), "the pass tried to send this session's events"
        q = sa.select(outbox.c.event_id, outbox.c.published_at).where(
            outbox.c.event_id.in_(down.event_ids)
        )
        with services.database.unit_of_work() as uow:
            tried = uow.conn.execute(q).all()
        assert len(tried) == len(set(down.event_ids))
        assert all(published_at is None for _, published_at in tried)

        assert _drain(services, publisher) >= len(mine)
    assert all(r["published_at"] is not None for r in _rows(services, sid, key))
    topics = {f"cuebook.{r['topic']}" for r in _rows(services, sid, key)}
    records = _consume(kafka_bootstrap, topics, mine)
    assert {json.loads(r.value)["event_id"] for r in records} == mine


def test_kafka_publisher_names_the_broker_it_cannot_reach() -> None:
    with pytest.raises(PublishFailed, match=r"cannot connect to Kafka at 127\.0\.0\.1:9"):
        KafkaPublisher("127.0.0.1:9", api_version_auto_timeout_ms=300)


def test_flush_names_the_topic_when_the_broker_goes_away(tmp_path: Path) -> None:
    with running_tansu(tmp_path) as broker:
        publisher = KafkaPublisher(
            broker.bootstrap, request_timeout_ms=400, delivery_timeout_ms=800, retries=0
        )
        publisher.publish("cuebook.test.gone", "k", b"{}")
        publisher.flush()
        broker.process.kill()
        broker.process.wait(timeout=10)
    try:
        publisher.publish("cuebook.test.gone", "k", b"{}")
        with pytest.raises(PublishFailed, match=r"topic 'cuebook\.test\.gone'"):
            publisher.flush()
    finally:
        publisher.close()


@pytest.fixture()
def cli_env(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUEBOOK_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CUEBOOK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("CUEBOOK_SECRET_KEY", "test")
    monkeypatch.setenv("CUEBOOK_VAR_DIR", str(settings.var_dir))
    monkeypatch.delenv("CUEBOOK_KAFKA_BOOTSTRAP", raising=False)


def test_worker_relays_only_when_kafka_is_configured(
    cli_env: None,
    services: Any,
    client: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    kafka_bootstrap: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = _session_with_steps(client, tokens, deploy, key)
    rows = _rows(services, sid, key)
    runner = CliRunner()

    without = runner.invoke(main, ["worker", "--once"])
    assert without.exit_code == 0, without.output
    assert "relayed" not in without.output
    assert all(r["published_at"] is None for r in _rows(services, sid, key))

    def listed() -> bool:
        # A transaction of another test in this database may hold the log back a moment.
        resp = client.get("/api/v1/events?limit=1000", headers=auth(tokens["admin"]))
        events, cursor = resp.get_json()["events"], resp.get_json()["next"]
        seen = {e["event_id"] for e in events}
        while events:
            page = client.get(f"/api/v1/events?after={cursor}&limit=1000",
                              headers=auth(tokens["admin"])).get_json()  # fmt: skip
            events, cursor = page["events"], page["next"]
            seen |= {e["event_id"] for e in events}
        return {r["event_id"] for r in rows} <= seen

    wait_until(listed, "the events, readable without Kafka")

    monkeypatch.setenv("CUEBOOK_KAFKA_BOOTSTRAP", kafka_bootstrap)
    relayed = runner.invoke(main, ["worker", "--once"])
    assert relayed.exit_code == 0, relayed.output
    count = int(relayed.output.split("relayed ", 1)[1].split(" ", 1)[0])
    assert count >= len(rows)
    assert all(r["published_at"] is not None for r in _rows(services, sid, key))
