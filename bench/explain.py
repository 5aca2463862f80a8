"""Query plans of the per-step and per-queue queries on a million instances.

    python bench/explain.py [--rows 1000000]

Fills a fresh schema with ``--rows`` instances (and as many history and outbox rows)
straight in SQL, runs ANALYZE, and prints the plan of every query the step path, the
worker and the queue page run (the same shapes as engine/persistence/repositories.py),
flagging any that reads a whole large table.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG_URL, fresh_schema, run_sql
from engine.persistence.database import Database
from engine.persistence.tables import history, instances, outbox, script_versions, scripts

FILL = """
INSERT INTO scripts (id, key, title, published_version, created_at, updated_at)
VALUES (1, 'bench', 'bench', 1, now(), now());
INSERT INTO script_versions (id, script_id, number, content_hash, bundle, process_id, title,
                             created_at, created_by)
VALUES (1, 1, 1, 'x', '\\x00', 'p', 't', now(), '');
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       session_key, state, step_seq, step_token, current_element, misses,
                       handoff_queue, handed_off_at, next_timer_at, created_at, updated_at)
SELECT lpad(g::text, 36, '0'), 1, 'bench', 1, 1,
       CASE WHEN g % 10 = 0 THEN 'handed_off' WHEN g % 3 = 0 THEN 'completed' ELSE 'waiting' END,
       'chat', 'key-' || g, '{}', 1, '1.x', 'step', 0,
       CASE WHEN g % 10 = 0 THEN 'queue_' || (g % 20) END,
       CASE WHEN g % 10 = 0 THEN now() - (g || ' seconds')::interval END,
       CASE WHEN g % 50 = 0 THEN now() + (g || ' seconds')::interval END,
       now(), now()
FROM generate_series(1, :rows) AS g;
INSERT INTO history (instance_id, at, event, element, name, kind, actor, channel)
SELECT lpad((g % :rows + 1)::text, 36, '0'), now(), 'left', 'step', '', '', 'bot', 'chat'
FROM generate_series(1, :rows) AS g;
INSERT INTO outbox (event_id, topic, key, payload, created_at, published_at)
SELECT md5(g::text), 'session.step_taken', 'k', '{}', now(), CASE WHEN g % 100 <> 0 THEN now() END
FROM generate_series(1, :rows) AS g;
ANALYZE;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with fresh_schema() as env:
        db = Database(PG_URL, schema=env["CUEBOOK_DATABASE_SCHEMA"])
        t0 = time.perf_counter()
        run_sql(db.engine, FILL, {"rows": args.rows})
        took = time.perf_counter() - t0
        print(f"filled {args.rows} instances, history and outbox rows in {took:.0f} s")
        some = "0" * 35 + "7"
        now = datetime.now(UTC)
        queries = {
            "instance by id, locked (every step)": sa.select(instances)
            .where(instances.c.id == some)
            .with_for_update(),
            "published version of a script (every start)": sa.select(
                scripts.c.id, script_versions.c.id
            )
            .select_from(
                scripts.join(
                    script_versions,
                    sa.and_(
                        script_versions.c.script_id == scripts.c.id,
                        script_versions.c.number == scripts.c.published_version,
                    ),
                )
            )
            .where(scripts.c.key == "bench"),
            "open session by external key (start, messages)": sa.select(instances.c.id).where(
                instances.c.session_key == "key-77",
                instances.c.status.not_in(("completed", "failed")),
            ),
            "history of a session": sa.select(history)
            .where(history.c.instance_id == some)
            .order_by(history.c.id),
            "due timers (worker)": sa.select(instances.c.id)
            .where(instances.c.next_timer_at.is_not(None), instances.c.next_timer_at <= now)
            .order_by(instances.c.next_timer_at)
            .limit(1)
            .with_for_update(skip_locked=True),
            "queue page (operators)": sa.select(instances.c.id)
            .where(
                instances.c.handoff_queue == "queue_0",
                instances.c.status == "handed_off",
                instances.c.assignee.is_(None),
            )
            .order_by(instances.c.handed_off_at)
            .limit(50),
            "unpublished outbox": sa.select(outbox.c.id)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(100),
        }
        full_scans = 0
        with db.engine.connect() as conn:
            for name, query in queries.items():
                sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN ANALYZE " + sql)]
                # scripts and script_versions are small: a scan of them is the right plan
                big = ("on instances", "on history", "on outbox")
                scan = any(
                    "Seq Scan" in line and line.rstrip().split("(")[0].endswith(big)
                    for line in plan
                )
                full_scans += scan
                print(f"\n== {name}{'  <-- reads the whole table' if scan else ''}")
                print("\n".join("   " + line for line in plan))
        print(f"\n{len(queries)} queries, {full_scans} full table scans")
        db.dispose()


if __name__ == "__main__":
    main()
