"""Script analytics on a large history: the rollup against reading every row.

    python bench/analytics.py [--rows 1000000] [--share 0.4] [--days 30] [--calls 20]
                              [--baseline-calls 5]

Fills a fresh PostgreSQL schema straight in SQL (generate_series) with ``--rows`` history
rows: sessions of the sample chat bot (deployed twice as ``bench_menu``, versions 1 and 2)
taking ``--share`` of them, the rest sessions of another script (``bench_other``); the
sessions spread over ``--days`` days, three channels, six paths (a loop through the menu,
a handoff, a failure, one left waiting). Then prints:

- how long the worker's rollup (engine/analytics/rollup.py, the pass ``cuebook worker``
  runs) takes to fold the whole history, and the rows it wrote;
- p50 / p99 of GET /api/v1/scripts/bench_menu/analytics over HTTP (``cuebook serve``,
  gunicorn) for the last 30 days, ``--calls`` calls, with some history past the rollup's
  cursor (read live, as in production);
- the same answer with no rollup (every history row of the version folded at request time,
  ``script_analytics(rollup=False)``), ``--baseline-calls`` calls: the baseline;
- that both answers agree.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG_URL, ROOT, cli, fresh_schema, gunicorn, percentile, summary
from engine.analytics import AnalyticsRange, roll_up_history, script_analytics
from engine.analytics.rollup import cursor_position
from engine.persistence.database import Database

BUNDLE = ROOT / "bpmn" / "chat_bot"
SCRIPT = "bench_menu"
OTHER = "bench_other"

# Six paths through the chat bot: (event, element, kind, seconds after the start) per row.
_MENU = [
    ("started", "", "", 0),
    ("left", "start", "StartEvent", 0),
    ("left", "gw_menu", "ExclusiveGateway", 0),
    ("entered", "main_menu", "choice", 0),
]
_BYE = [
    ("left", "gw_bye", "ExclusiveGateway", 0),
    ("left", "end", "EndEvent", 0),
    ("ended", "end", "completed", 0),
]
_BALANCE = [
    ("left", "main_menu", "choice", 25),
    ("left", "gw_choice", "ExclusiveGateway", 25),
    ("left", "balance_info", "ScriptTask", 25),
    ("left", "gw_answered", "ExclusiveGateway", 25),
    ("entered", "anything_else", "choice", 25),
]
_MORE = [
    ("left", "anything_else", "choice", 50),
    ("left", "gw_more", "ExclusiveGateway", 50),
    ("left", "gw_menu", "ExclusiveGateway", 50),
    ("entered", "main_menu", "choice", 50),
]
_NO = [("left", "anything_else", "choice", 80), ("left", "gw_more", "ExclusiveGateway", 80)]
_FINISH = [("left", "main_menu", "choice", 12), ("left", "gw_choice", "ExclusiveGateway", 12)]
_PROBLEM = [
    ("left", "main_menu", "choice", 20),
    ("left", "gw_choice", "ExclusiveGateway", 20),
    ("entered", "problem_description", "form", 20),
    ("left", "problem_description", "form", 140),
    ("left", "register_problem", "ScriptTask", 140),
    ("entered", "operator_takeover", "form", 140),
    ("handoff", "operator_takeover", "support_l1", 140),
]
_FAILED = [("left", "main_menu", "choice", 9), ("ended", "main_menu", "failed", 9)]


def _shift(rows: list[tuple[str, str, str, int]], by: int) -> list[tuple[str, str, str, int]]:
    return [(e, el, k, s + by) for e, el, k, s in rows]


PATHS: list[tuple[str, list[tuple[str, str, str, int]]]] = [
    ("completed", _MENU + _FINISH + _BYE),
    ("completed", _MENU + _BALANCE + _NO + _shift(_BYE, 80)),
    ("completed", _MENU + _BALANCE + _MORE + _shift(_FINISH, 50) + _shift(_BYE, 62)),
    ("handed_off", _MENU + _PROBLEM),
    ("failed", _MENU + _FAILED),
    ("waiting", _MENU),
]
# How often each path is taken, of 20 sessions.
WEIGHTS = [6, 6, 3, 2, 1, 2]


def _templates(conn: Any) -> float:
    """The paths as a table; returns the mean rows per session."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE bench_paths (path int, seq int, event text, element text, "
        "kind text, secs int, status text)"
    )
    rows = [
        {"path": p, "seq": n, "event": e, "element": el, "kind": k, "secs": s, "status": st}
        for p, (st, events) in enumerate(PATHS)
        for n, (e, el, k, s) in enumerate(events)
    ]
    conn.execute(
        sa.text(
            "INSERT INTO bench_paths VALUES (:path, :seq, :event, :element, :kind, :secs, :status)"
        ),
        rows,
    )
    slots = [p for p, w in enumerate(WEIGHTS) for _ in range(w)]
    conn.exec_driver_sql("CREATE TEMP TABLE bench_slots (slot int, path int)")
    conn.execute(
        sa.text("INSERT INTO bench_slots VALUES (:slot, :path)"),
        [{"slot": i, "path": p} for i, p in enumerate(slots)],
    )
    return sum(len(PATHS[p][1]) for p in slots) / len(slots)


FILL_INSTANCES = """
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       state, step_seq, lock_version, current_element, misses, outcome,
                       handed_off_at, created_at, updated_at)
SELECT 'b' || lpad(g::text, 35, '0'), v.script_id, v.script_key, v.version_id, v.number,
       p.status, (ARRAY['chat', 'ivr', 'web'])[g % 3 + 1], '{}', 0, 0,
       CASE p.status WHEN 'waiting' THEN 'main_menu' WHEN 'handed_off' THEN 'operator_takeover'
                     ELSE NULL END, 0,
       CASE p.status WHEN 'completed' THEN 'automated' WHEN 'handed_off' THEN 'handed_off'
                     ELSE NULL END,
       CASE p.status WHEN 'handed_off' THEN t.at ELSE NULL END, t.at, t.at
FROM generate_series(:first, :last) AS g
CROSS JOIN LATERAL (SELECT now() - interval '5 minutes'
                    - (:days * 86400.0 * (:last - g) / (:last - :first + 1)) * interval '1 second'
                    AS at) AS t
JOIN bench_slots AS s ON s.slot = g % 20
JOIN (SELECT DISTINCT path, status FROM bench_paths) AS p ON p.path = s.path
JOIN bench_versions AS v
  ON v.n = CASE WHEN g % 100 < :share_pct THEN (CASE WHEN g % 7 = 0 THEN 2 ELSE 1 END) ELSE 3 END
"""

FILL_HISTORY = """
INSERT INTO history (instance_id, at, event, element, name, kind, actor, channel)
SELECT i.id, i.created_at + p.secs * interval '1 second', p.event, p.element, '', p.kind, '',
       i.channel
FROM instances AS i
JOIN bench_slots AS s ON s.slot = (substr(i.id, 2)::bigint % 20)
JOIN bench_paths AS p ON p.path = s.path
WHERE substr(i.id, 2)::bigint BETWEEN :first AND :last
ORDER BY i.created_at + p.secs * interval '1 second', i.id, p.seq
"""


def _sessions(conn: Any, first: int, last: int, days: float, share: float) -> None:
    span = {"first": first, "last": last}
    conn.execute(sa.text(FILL_INSTANCES), {**span, "days": days, "share_pct": round(share * 100)})
    conn.execute(sa.text(FILL_HISTORY), span)


def fill(db: Database, rows: int, share: float, days: int) -> tuple[int, float]:
    """Sessions and their history; returns (history rows, seconds)."""
    started = time.perf_counter()
    with db.engine.begin() as conn:
        per_session = _templates(conn)
        conn.exec_driver_sql(
            "CREATE TEMP TABLE bench_versions AS "
            "SELECT row_number() OVER (ORDER BY s.key, v.number) AS n, s.id AS script_id, "
            "s.key AS script_key, v.id AS version_id, v.number "
            "FROM scripts s JOIN script_versions v ON v.script_id = s.id "
            f"WHERE s.key IN ('{SCRIPT}', '{OTHER}') ORDER BY s.key, v.number"
        )
        sessions = int(rows / per_session)
        _sessions(conn, 1, sessions, days, share)
        count = conn.exec_driver_sql("SELECT count(*) FROM history").scalar_one()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("history", "instances"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return int(count), time.perf_counter() - started


def roll_up(db: Database) -> tuple[float, int]:
    """Passes until the rollup holds the whole history; (seconds, passes)."""
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        highest = uow.conn.exec_driver_sql("SELECT max(id) FROM history").scalar_one()
    passes = 0
    while True:
        passes += 1
        roll_up_history(db, now=datetime.now(UTC), batch=20000, max_batches=1000, max_seconds=3600)
        with db.unit_of_work() as uow:
            if cursor_position(uow) >= highest:
                return time.perf_counter() - started, passes
        time.sleep(0.05)


def _rollup_rows(db: Database) -> str:
    with db.engine.connect() as conn:
        counts = [
            f"{t} {conn.exec_driver_sql(f'SELECT count(*) FROM {t}').scalar_one()}"
            for t in ("analytics_steps", "analytics_times", "analytics_sessions", "analytics_paths")
        ]
    return ", ".join(counts)


def api_calls(base: str, token: str, calls: int) -> tuple[list[float], dict[str, Any]]:
    times: list[float] = []
    body: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(calls + 2):  # two to warm up
            started = time.perf_counter()
            resp = http.get(f"/api/v1/scripts/{SCRIPT}/analytics", params={"version": 1})
            times.append((time.perf_counter() - started) * 1000)
            resp.raise_for_status()
            body = resp.json()
    return times[2:], body


def baseline(db: Database, calls: int) -> tuple[list[float], dict[str, Any]]:
    times: list[float] = []
    figures: dict[str, Any] = {}
    for _ in range(calls):
        now = datetime.now(UTC)
        started = time.perf_counter()
        with db.unit_of_work() as uow:
            figures = script_analytics(
                uow,
                SCRIPT,
                version=1,
                span=AnalyticsRange.cut(None, None, now=now),
                now=now,
                abandoned_after=1800,
                rollup=False,
            )
        times.append((time.perf_counter() - started) * 1000)
    return times, figures


def _comparable(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k not in ("rolled_up_through", "from", "to")}


def _tail(db: Database, share: float) -> int:
    """Sessions of the last five minutes, written after the rollup's pass (the API reads
    them live, as it reads whatever the worker has not folded yet); returns the history's
    highest id."""
    with db.engine.begin() as conn:
        first = 1 + int(conn.exec_driver_sql("SELECT count(*) FROM instances").scalar_one())
        _sessions(conn, first, first + 199, 5 / 1440, share)
        return int(conn.exec_driver_sql("SELECT max(id) FROM history").scalar_one())


def _second_version() -> Path:
    """The chat bot with another title: a second version of the measured script."""
    folder = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    for f in BUNDLE.iterdir():
        shutil.copy(f, folder / f.name)
    manifest = folder / "cuebook.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("Чат-бот", "Бот"), "utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="history rows made in SQL")
    parser.add_argument("--share", type=float, default=0.4, help="of them the measured script's")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--baseline-calls", type=int, default=5)
    args = parser.parse_args()
    with fresh_schema() as env:
        cli(env, "deploy", str(BUNDLE), "--script", SCRIPT, "--publish")
        cli(env, "deploy", str(BUNDLE), "--script", OTHER, "--publish")
        token = cli(env, "token", "create", "--role", "methodologist", "--name", "bench")
        cli(env, "deploy", str(_second_version()), "--script", SCRIPT)
        db = Database(PG_URL, schema=env["CUEBOOK_DATABASE_SCHEMA"])
        count, took = fill(db, args.rows, args.share, args.days)
        print(f"filled {count} history rows in {took:.0f} s ({args.share:.0%} {SCRIPT})")
        took, passes = roll_up(db)
        print(f"rollup of the whole history: {took:.1f} s in {passes} passes ({_rollup_rows(db)})")
        highest = _tail(db, args.share)
        with db.unit_of_work() as uow:
            past = highest - cursor_position(uow)
        print(f"history rows past the rollup's cursor, read live by each call: {past}")
        with gunicorn(env) as base:
            calls, answer = api_calls(base, token, args.calls)
        print(summary("GET .../analytics (rollup + live)", calls))
        slow, figures = baseline(db, args.baseline_calls)
        print(summary("no rollup (every row folded)", slow))
        ratio = percentile(slow, 50) / percentile(calls, 50)
        print(f"p50 ratio baseline / rollup: {ratio:.0f}x; target p50 < 500 ms")
        same = _comparable(answer) == _comparable(figures)
        print(f"both answers equal: {same}; sessions {answer['sessions']}")
        db.dispose()


if __name__ == "__main__":
    main()
