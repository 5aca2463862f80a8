"""Steps with 100,000 live sessions in the database against steps on an empty one.

    python bench/live.py [--live 100000] [--steps 1500]

Through gunicorn on PostgreSQL, one keep-alive client takes ``--steps`` steps of the
ten-form script (bench/linear.py) on sessions made for the run: first with almost nothing
else in the database (the baseline), then again after ``--live`` waiting sessions, each with
a few history rows and an outbox event, were added straight in SQL (copies of a real
session's row, each with its own id) and the tables analysed. Prints p50 / p99 of both and
their ratios (target: within 1.2x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import cli, fresh_schema, gunicorn_process, percentile, summary
from bench.linear import answer_for, linear_bundle
from bench.load import clone_sessions
from engine.persistence.database import normalize_url

FILL = """
INSERT INTO instances (id, {copied})
SELECT md5(random()::text || g)::uuid::text, {copied}
FROM instances, generate_series(1, %(rows)s) AS g WHERE id = %(template)s;
INSERT INTO history (instance_id, at, event, element, name, kind, actor, channel)
SELECT i.id, now(), e.event, 'form1', 'Form 1', 'form', '', 'web'
FROM instances i, (VALUES ('started'), ('entered')) AS e(event) WHERE i.id <> %(template)s;
INSERT INTO outbox (event_id, topic, key, payload, created_at, published_at)
SELECT md5(id), 'session.started', id, '{{}}', now(), now() FROM instances
WHERE id <> %(template)s;
ANALYZE;
"""


def _engine(env: dict[str, str]) -> sa.Engine:
    return sa.create_engine(
        normalize_url(env["CUEBOOK_DATABASE_URL"]),
        connect_args={"options": f"-csearch_path={env['CUEBOOK_DATABASE_SCHEMA']}"},
    )


def fill(env: dict[str, str], template: str, rows: int) -> float:
    engine = _engine(env)
    began = time.perf_counter()
    with engine.begin() as conn:
        columns = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = "
                "'instances' AND table_schema = %(s)s ORDER BY ordinal_position",
                {"s": env["CUEBOOK_DATABASE_SCHEMA"]},
            )
        ]
        copied = ", ".join(c for c in columns if c != "id")
        for statement in FILL.format(copied=copied).split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement, {"rows": rows, "template": template})
    engine.dispose()
    return time.perf_counter() - began


def steps(base: str, token: str, sessions: list[Any], count: int) -> list[float]:
    """``count`` steps from one keep-alive client, walking the given sessions in turn."""
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    queue = iter(sessions)
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        sid, tok, step = next(queue)
        for i in range(count):
            body = {"step_token": tok, "answer": answer_for(step, i)}
            t0 = time.perf_counter()
            resp = c.post(f"/api/v1/sessions/{sid}/steps", json=body)
            times.append((time.perf_counter() - t0) * 1000)
            view = resp.json()
            assert resp.status_code == 200, view
            if view["status"] == "waiting":
                tok, step = view["step_token"], view["step"]["id"]
            else:
                sid, tok, step = next(queue)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--live", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    folder = linear_bundle(Path(tempfile.mkdtemp()) / "linear")
    with fresh_schema() as env:
        cli(env, "deploy", str(folder), "--script", "linear", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        with gunicorn_process(env) as (base, _proc):
            need = args.steps // 10 + 10
            steps(base, token, clone_sessions(env, base, token, "linear", 40), 300)
            empty = steps(base, token, clone_sessions(env, base, token, "linear", need), args.steps)
            view = httpx.post(
                f"{base}/api/v1/sessions",
                json={"script": "linear"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            took = fill(env, view["session_id"], args.live)
            print(f"added {args.live} waiting sessions (and their history, events) in {took:.0f} s")
            steps(base, token, clone_sessions(env, base, token, "linear", 40), 300)
            full = steps(base, token, clone_sessions(env, base, token, "linear", need), args.steps)
    print(summary("step, empty database (baseline)", empty))
    print(summary(f"step, {args.live} live sessions", full))
    p50 = percentile(full, 50) / percentile(empty, 50)
    p99 = percentile(full, 99) / percentile(empty, 99)
    print(f"ratio p50 {p50:.2f}x, p99 {p99:.2f}x (target: within 1.2x)")


if __name__ == "__main__":
    main()
