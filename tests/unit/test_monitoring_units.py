"""Log formats and the setting that picks one; the new metrics in gunicorn's multiprocess mode;
request ids and the bootstrap list of the Kafka check."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cuebook.logs import configure_logging, secrets_of
from cuebook.readiness import bootstrap_addresses
from cuebook.settings import Settings
from web.telemetry import request_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    cuebook_level = logging.getLogger("cuebook").level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("cuebook").setLevel(cuebook_level)


def test_the_log_format_setting(tmp_path: Path) -> None:
    base = {"CUEBOOK_VAR_DIR": str(tmp_path), "CUEBOOK_SECRET_KEY": "k"}
    assert Settings.from_env(base).log_format == "text"
    assert Settings.from_env({**base, "CUEBOOK_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="CUEBOOK_LOG_FORMAT"):
        Settings.from_env({**base, "CUEBOOK_LOG_FORMAT": "xml"})


def test_json_logs_are_one_object_per_line_with_secrets_masked(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"CUEBOOK_SECRET_CRM_TOKEN": "crm-very-secret", "CUEBOOK_SECRET_KEY": "flask-key-123"}
    configure_logging("json", secrets_of(env, "postgresql://app:db-pass-9@db/cuebook"))
    log = logging.getLogger("cuebook.test")
    log.info("hello %s", "crm-very-secret", extra={"cuebook": {"route": "/x", "status": 200}})
    log.warning("url postgresql://app:db-pass-9@db and key flask-key-123")
    logging.getLogger("kafka.test").info("chatty library line")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["cuebook.test", "cuebook.test"]
    assert lines[0]["message"] == "hello ***"
    assert (lines[0]["route"], lines[0]["status"], lines[0]["level"]) == ("/x", 200, "info")
    assert "db-pass-9" not in lines[1]["message"] and "flask-key-123" not in lines[1]["message"]


def test_text_logs_by_default(root_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text")
    configure_logging("text")  # configuring again replaces the handler, never doubles it
    logging.getLogger("cuebook.test").info("plain", extra={"cuebook": {"status": 201}})
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("INFO cuebook.test: plain status=201")


def test_request_ids() -> None:
    assert request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    for bad in (None, "", "has space", "x" * 129, "-leading", "ünïcode"):
        made = request_id(bad)
        assert made != bad and len(made) == 32


def test_bootstrap_addresses() -> None:
    assert bootstrap_addresses("a:1, b ,[::1]:9093") == [("a", 1), ("b", 9092), ("::1", 9093)]


def test_new_metrics_work_in_multiprocess_mode(tmp_path: Path) -> None:
    """What gunicorn's workers and the worker write is summed (or, for gauges, combined as
    each one says) by the collector /metrics uses under PROMETHEUS_MULTIPROC_DIR."""
    script = textwrap.dedent(
        """
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess
        from engine import metrics
        from web.telemetry import observe
        from integrations.stats import metrics_for

        observe("/api/v1/sessions/<session_id>/steps", "POST", 200, 0.003)
        metrics.step_timed("menu", 3, 0.002)
        metrics.DB_ERRORS.labels("OperationalError").inc()
        metrics.TICKET_ESCALATIONS.labels("escalations").inc()
        metrics.WORKER_LOOP_LAG.set(1.5)
        metrics.WORKER_LAST_PASS.set(1234.0)
        metrics_for(None).breaker_state.labels("crm").set(1)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        print(generate_latest(registry).decode())
        """
    )
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        'cuebook_http_request_seconds_count{method="POST",'
        'route="/api/v1/sessions/<session_id>/steps",status="200"} 1.0' in out
    )
    assert 'cuebook_step_seconds_count{script="menu",version="3"} 1.0' in out
    assert 'cuebook_db_errors_total{kind="OperationalError"} 1.0' in out
    assert 'cuebook_ticket_escalations_total{group="escalations"} 1.0' in out
    assert "cuebook_worker_loop_lag_seconds 1.5" in out
    assert "cuebook_worker_last_pass_timestamp_seconds 1234.0" in out
    assert 'cuebook_integration_breaker_state{function="crm"} 1.0' in out
