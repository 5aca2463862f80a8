"""Health, readiness and metrics: /healthz without the database, /readyz naming what fails
(database down, schema not migrated or behind, Kafka not answering), /metrics after traffic,
the gauges read at scrape time, the worker's loop lag."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from cuebook.app import create_app
from cuebook.readiness import Readiness
from cuebook.settings import Settings
from engine.gauges import StateGauges
from engine.migrations import upgrade
from engine.persistence.database import normalize_url
from engine.worker import Worker
from tests.conftest import BUNDLES, SAMPLES, auth
from tests.support.worker_env import worker_env

pytestmark = pytest.mark.postgres

MENU = BUNDLES / "menu_loop"
TIMERS = BUNDLES / "timers"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def make_app(tmp_path: Path) -> Iterator[Any]:
    """An app of its own on other settings; its database pool is closed afterwards."""
    made: list[Any] = []

    def _make(url: str, schema: str | None = None, kafka: str | None = None) -> Any:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            secret_key="test-secret",
            var_dir=tmp_path,
            samples_dir=SAMPLES,
            kafka_bootstrap=kafka,
        )
        app = create_app(settings)
        made.append(app)
        return app.test_client()

    yield _make
    for app in made:
        app.extensions["cuebook"].database.dispose()


@pytest.fixture()
def scratch_schema(db_target: tuple[str, str | None]) -> Iterator[str]:
    """An empty PostgreSQL schema, dropped afterwards."""
    url = db_target[0]
    name = f"cuebook_scratch_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


def metrics_of(client: Any) -> dict[str, Any]:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(resp.get_data(as_text=True))}


def samples(families: dict[str, Any], name: str) -> list[Any]:
    return [s for f in families.values() for s in f.samples if s.name == name]


def test_healthz_needs_no_database_and_readyz_says_it_is_down(make_app: Any) -> None:
    client = make_app(f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    assert client.get("/healthz").get_json() == {"status": "ok"}

    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    body = resp.get_json()
    assert body["status"] == "not ready"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == "not reachable"
    assert body["checks"]["kafka"] == "not configured"
    assert body["checks"]["migrations"] == "unknown (database not reachable)"

    families = metrics_of(client)  # the scrape still answers, the readiness gauge says why
    ready = {s.labels["check"]: s.value for s in samples(families, "cuebook_ready")}
    assert ready == {"database": 0.0, "kafka": 1.0}
    errors = samples(families, "cuebook_db_errors_total")
    assert any(s.labels["kind"] == "OperationalError" and s.value >= 1 for s in errors)


def test_readyz_is_ok_on_a_migrated_database(client: Any) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "kafka": "not configured"},
    }
    assert "Retry-After" not in resp.headers


def test_readyz_names_a_schema_without_migrations(
    make_app: Any, db_target: tuple[str, str | None], scratch_schema: str
) -> None:
    client = make_app(db_target[0], scratch_schema)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["failing"] == ["migrations"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("not applied")


def test_readyz_names_migrations_behind_the_code(
    make_app: Any, db_target: tuple[str, str | None], scratch_schema: str
) -> None:
    upgrade(db_target[0], scratch_schema, "0001")
    client = make_app(db_target[0], scratch_schema)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    found = resp.get_json()["checks"]["migrations"]
    assert found.startswith("behind: database at 0001, code at ")
    assert "cuebook db upgrade" in found


def test_readyz_names_kafka_when_no_broker_answers(
    make_app: Any, db_target: tuple[str, str | None]
) -> None:
    url, schema = db_target
    client = make_app(url, schema, kafka=f"127.0.0.1:{closed_port()}")
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["failing"] == ["kafka"]
    assert body["checks"]["kafka"].startswith("not reachable: 127.0.0.1:")


def test_the_kafka_check_is_remembered_a_few_seconds(services: Any) -> None:
    calls: list[str] = []
    now = [100.0]

    def check(bootstrap: str) -> str:
        calls.append(bootstrap)
        return "ok"

    readiness = Readiness(services.database, "broker:9092", kafka_check=check, clock=lambda: now[0])
    assert readiness.check().ready and readiness.check().ready
    assert calls == ["broker:9092"]
    now[0] += 5.1
    readiness.check()
    assert len(calls) == 2


def _walk(client: Any, token: str, key: str) -> str:
    """Start a session and take a step; returns the session id."""
    view = client.post("/api/v1/sessions", json={"script": key}, headers=auth(token)).get_json()
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"name": "Anna"}},
        headers=auth(token),
    )
    assert resp.status_code == 200, resp.get_json()
    return str(view["session_id"])


def test_metrics_after_traffic(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> None:
    deploy(MENU, key)
    sid = _walk(client, tokens["operator"], key)
    missing = str(uuid.uuid4())
    assert client.get(f"/api/v1/sessions/{missing}", headers=auth(tokens["bot"])).status_code == 404
    assert client.get("/no/such/page").status_code == 404

    families = metrics_of(client)
    http = samples(families, "cuebook_http_request_seconds_count")
    seen = {(s.labels["method"], s.labels["route"], s.labels["status"]) for s in http}
    assert ("POST", "/api/v1/sessions/<session_id>/steps", "200") in seen
    assert ("POST", "/api/v1/sessions", "201") in seen
    assert ("GET", "/api/v1/sessions/<session_id>", "404") in seen
    assert ("GET", "unmatched", "404") in seen
    labels = {v for s in http for v in s.labels.values()}
    assert not any(sid in v or missing in v for v in labels), "a raw path became a label"

    steps = samples(families, "cuebook_step_seconds_count")
    assert any(s.labels == {"script": key, "version": "1"} and s.value == 1 for s in steps)
    for name in ("cuebook_sessions_started_total", "cuebook_steps_total"):
        assert any(s.labels.get("script") == key for s in samples(families, name)), name
    for name in (
        "cuebook_live_sessions",
        "cuebook_timers_due",
        "cuebook_timers_late_seconds",
        "cuebook_queue_waiting",
        "cuebook_queue_oldest_wait_seconds",
        "cuebook_dead_letters_waiting",
        "cuebook_ready",
    ):
        assert name in families, name
    # No Kafka here: nothing relays the outbox, so there is no lag to show or alert on.
    assert "cuebook_outbox_lag_seconds" not in families


def test_scrape_time_gauges_count_live_sessions_and_late_timers(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(TIMERS, key)
    when = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    for _ in range(2):
        client.post(
            "/api/v1/sessions",
            json={"script": key, "variables": {"when": when, "divisor": 2}},
            headers=auth(tokens["bot"]),
        )
    later = datetime.now(UTC) + timedelta(hours=1)  # the timers were due 55 minutes ago
    gauges = StateGauges(services.database, clock=lambda: later, ttl=0)
    found = {f.name: f for f in gauges.collect()}
    live = {s.labels["script"]: s.value for s in found["cuebook_live_sessions"].samples}
    assert live[key] == 2
    assert found["cuebook_timers_due"].samples[0].value >= 2
    late = found["cuebook_timers_late_seconds"].samples[0].value
    assert 55 * 60 - 30 <= late <= 24 * 3600

    cached = StateGauges(services.database, ttl=60)
    first = list(cached.collect())
    assert list(cached.collect()) == first, "read again within the ttl"


def test_the_worker_shows_its_loop_lag_and_last_pass(services: Any) -> None:
    worker = Worker(services.database, services.engine, None, lambda: datetime.now(UTC))
    before = time.time()
    worker._mark_pass(time.monotonic() - 3.5)  # the previous pass started 3.5 s ago, interval 1
    lag = REGISTRY.get_sample_value("cuebook_worker_loop_lag_seconds")
    assert lag is not None and 2.4 <= lag <= 3.5
    last = REGISTRY.get_sample_value("cuebook_worker_last_pass_timestamp_seconds")
    assert last is not None and last >= before
    worker._mark_pass(time.monotonic())  # on time
    assert REGISTRY.get_sample_value("cuebook_worker_loop_lag_seconds") == 0.0


def test_the_release_split_of_each_script_is_a_gauge(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    schema = (MENU / "name.schema.json").read_text().replace('"Name"', '"Your name"')
    deploy(MENU, key, {"name.schema.json": schema.encode()})
    gauges = StateGauges(services.database, ttl=0)

    def weights() -> dict[str, float]:
        found = {f.name: f for f in gauges.collect()}["cuebook_release_weight"]
        return {s.labels["version"]: s.value for s in found.samples if s.labels["script"] == key}

    assert weights() == {"2": 100}
    resp = client.put(
        f"/api/v1/scripts/{key}/release",
        json={"versions": [{"number": 1, "weight": 90}, {"number": 2, "weight": 10}]},
        headers=auth(tokens["methodologist"]),
    )
    assert resp.status_code == 200, resp.get_json()
    assert weights() == {"1": 90, "2": 10}


def test_the_worker_serves_its_metrics(settings: Any, tmp_path: Path) -> None:
    port = closed_port()
    name = f"cuebook-metrics-{uuid.uuid4().hex[:8]}"
    env = worker_env(settings, name, CUEBOOK_LOG_FORMAT="json")
    with (tmp_path / "worker.err").open("wb") as err:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "cuebook"), "worker", "--metrics-port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    try:
        text = ""
        deadline = time.monotonic() + 30
        while "cuebook_worker_last_pass_timestamp_seconds " not in text:
            assert time.monotonic() < deadline, (tmp_path / "worker.err").read_text()
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                time.sleep(0.2)
        families = {f.name: f for f in text_string_to_metric_families(text)}
        for name in ("cuebook_timers_due", "cuebook_live_sessions", "cuebook_dead_letters_waiting"):
            assert name in families, name
        ready = {s.labels["check"]: s.value for s in families["cuebook_ready"].samples}
        assert ready == {"database": 1.0, "migrations": 1.0, "kafka": 1.0}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, (tmp_path / "worker.err").read_text()
    lines = (tmp_path / "worker.err").read_text().splitlines()
    assert lines[-1] == "worker stopped"
    for line in lines[:-1]:  # the JSON log's lines
        assert json.loads(line)["logger"].startswith("cuebook"), line
