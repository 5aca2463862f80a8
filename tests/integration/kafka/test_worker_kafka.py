"""Real ``cuebook worker`` processes and a real broker (tansu): two workers share the relay
(each event once, each session's events in order in its partition), the broker is killed
mid-relay and started again (nothing lost; steps went on meanwhile and the outbox grew), and
the inbound topic delivers a message to a waiting session."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from engine.events.metrics import EventsCollector
from engine.persistence.tables import outbox
from tests.conftest import BUNDLES, auth
from tests.integration.kafka.conftest import durable_tansu, requires_tansu
from tests.support.waiting import join_all, wait_until
from tests.support.worker_env import worker_env

pytestmark = [pytest.mark.postgres, requires_tansu]
CUEBOOK = Path(sys.executable).parent / "cuebook"
MENU = BUNDLES / "menu_loop"
WAIT = BUNDLES / "message_wait"


class Worker:
    def __init__(self, settings: Any, folder: Path, bootstrap: str) -> None:
        self.name = f"cuebook-kafka-worker-{uuid.uuid4().hex[:8]}"
        self.out = folder / f"{self.name}.log"
        env = worker_env(
            settings,
            self.name,
            CUEBOOK_KAFKA_BOOTSTRAP=bootstrap,
            CUEBOOK_KAFKA_SESSION_TIMEOUT_MS="2000",
        )
        with self.out.open("wb") as out:
            self.process = subprocess.Popen(
                [str(CUEBOOK), "worker", "--interval", "0.1"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                cwd=folder,
            )  # fmt: skip

    def relayed(self) -> int:
        lines = self.out.read_text().splitlines()
        return sum(int(line.split()[1]) for line in lines if line.startswith("relayed "))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


@pytest.fixture()
def kafka_workers(settings: Any, is_postgres: bool) -> Any:
    if not is_postgres:
        pytest.skip("worker processes share a PostgreSQL database")
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _unpublished(services: Any, keys: list[str]) -> int:
    q = sa.select(sa.func.count()).where(outbox.c.key.in_(keys), outbox.c.published_at.is_(None))
    with services.database.unit_of_work() as uow:
        return int(uow.conn.execute(q).scalar_one())


def _events(services: Any, keys: list[str]) -> list[tuple[int, str, str, str]]:
    q = sa.select(outbox.c.id, outbox.c.key, outbox.c.topic, outbox.c.event_id).where(
        outbox.c.key.in_(keys)
    )
    with services.database.unit_of_work() as uow:
        return [tuple(r) for r in uow.conn.execute(q.order_by(outbox.c.id))]  # type: ignore[misc]


def _read_all(bootstrap: str, topics: list[str], wanted: set[str]) -> list[Any]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"cuebook-test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    found: list[Any] = []
    try:
        consumer.subscribe(topics)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                found += records
            if wanted <= {json.loads(r.value)["event_id"] for r in found}:
                break
    finally:
        consumer.close()
    return found


def _stepper(
    client: Any, token: str, key: str, count: int, stop: threading.Event, pause: threading.Event
) -> Any:
    """Start ``count`` sessions and step them round after round until ``stop`` (not while
    ``pause`` is set: then ``idle`` is set once the round in progress is done)."""
    idle = threading.Event()
    op = auth(token)
    views = [client.post("/api/v1/sessions", json={"script": key}, headers=op).get_json()]
    views += [
        client.post("/api/v1/sessions", json={"script": key}, headers=op).get_json()
        for _ in range(count - 1)
    ]
    ids = [v["session_id"] for v in views]
    failures: list[str] = []

    def run() -> None:
        answers = [{"name": "Anna"}, {"choice": "again"}]
        round_ = 0
        while not stop.is_set() and round_ < 400:
            if pause.is_set():
                idle.set()
                time.sleep(0.02)
                continue
            idle.clear()
            for n, view in enumerate(views):
                answer = answers[0] if view["step"]["id"] == "name" else answers[1]
                resp = client.post(
                    f"/api/v1/sessions/{view['session_id']}/steps",
                    json={"step_token": view["step_token"], "answer": answer},
                    headers=op,
                )
                if resp.status_code != 200:
                    failures.append(f"{resp.status_code}: {resp.get_json()}")
                    return
                views[n] = resp.get_json()
            round_ += 1
            time.sleep(0.05)

    thread = threading.Thread(target=run, name="stepper")
    thread.start()
    return ids, thread, failures, idle


def test_two_workers_relay_once_in_order_and_survive_a_broker_crash(
    client: Any,
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    kafka_workers: list[Worker],
    tmp_path: Path,
) -> None:
    deploy(MENU, key)
    with durable_tansu(tmp_path) as broker:
        kafka_workers += [Worker(settings, tmp_path, broker.bootstrap) for _ in range(2)]
        stop, pause = threading.Event(), threading.Event()
        ids, stepper, failures, idle = _stepper(client, tokens["operator"], key, 12, stop, pause)
        try:
            time.sleep(2.5)  # the normal case: both workers relay as the sessions step
            pause.set()
            wait_until(idle.is_set, "the sessions to pause", timeout=30)
            wait_until(lambda: _unpublished(services, ids) == 0, "the relay", timeout=30)
            normal = {e for _, _, _, e in _events(services, ids)}
            pause.clear()

            broker.kill()  # mid-relay: steps go on, the outbox grows
            time.sleep(3)
            assert not failures, failures
            grown = _unpublished(services, ids)
            assert grown > 0, "steps went on while the broker was down"
            lag = {
                sample.name: sample.value
                for family in EventsCollector(services.database, relaying=True).collect()
                for sample in family.samples
            }
            assert lag["cuebook_outbox_unpublished_events"] >= grown, "the lag shows the backlog"
            broker.start()
            time.sleep(2)
        finally:
            stop.set()
            join_all([stepper], "the stepping sessions", timeout=60)
        assert not failures, failures
        wait_until(
            lambda: _unpublished(services, ids) == 0,
            "the outbox to drain after the broker came back",
            timeout=90,
            explain=lambda: "\n".join(w.out.read_text()[-2000:] for w in kafka_workers),
        )
        assert [w.stop() for w in kafka_workers] == [0, 0]
        assert all(w.relayed() > 0 for w in kafka_workers), "both workers relayed"

        rows = _events(services, ids)
        wanted = {e for _, _, _, e in rows}
        topics = sorted({f"cuebook.{t}" for _, _, t, _ in rows})
        records = _read_all(broker.bootstrap, topics, wanted)
    got = [json.loads(r.value)["event_id"] for r in records]
    assert wanted <= set(got), f"lost {len(wanted - set(got))} of {len(wanted)} events"
    normal_got = [e for e in got if e in normal]
    assert len(normal_got) == len(set(normal_got)), "an event went out twice with no fault"

    steps: dict[str, list[tuple[int, int]]] = defaultdict(list)
    position = {e: n for n, (_, _, _, e) in enumerate(rows)}
    seen: set[str] = set()
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        event = json.loads(record.value)
        if event["event_id"] in position and event["event_id"] not in seen:
            seen.add(event["event_id"])
            steps[(record.topic, event["key"])].append((record.offset, position[event["event_id"]]))
    for where, pairs in steps.items():
        order = [p for _, p in sorted(pairs)]
        assert order == sorted(order), f"{where}: events out of order in their partition"


def test_a_message_on_the_inbound_topic_reaches_the_waiting_session(
    client: Any,
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    kafka_workers: list[Worker],
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    deploy(WAIT, key)
    op = auth(tokens["operator"])
    view = client.post(
        "/api/v1/sessions", json={"script": key, "session_key": f"k-{key}"}, headers=op
    ).get_json()
    view = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers=op,
    ).get_json()
    assert view["step"]["id"] == "wait_crm"
    kafka_workers.append(Worker(settings, tmp_path, kafka_bootstrap))
    message = {
        "message_id": uuid.uuid4().hex,
        "name": "crm_update",
        "correlation_key": f"k-{key}",
        "payload": {"status": "via kafka", "divisor": 1},
    }
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for value in (b"poison", json.dumps(message).encode(), json.dumps(message).encode()):
        producer.send("cuebook.inbound", value=value)
    producer.flush()
    producer.close()

    def arrived() -> bool:
        got = client.get(f"/api/v1/sessions/{view['session_id']}", headers=op).get_json()
        return bool(got["step"]["id"] == "after" and got["step"]["text"] == "via kafka")

    wait_until(
        arrived,
        "the message from Kafka",
        timeout=60,
        every=0.2,
        explain=lambda: kafka_workers[0].out.read_text()[-3000:],
    )
    assert kafka_workers[0].stop() == 0
    assert "Traceback" not in kafka_workers[0].out.read_text()
