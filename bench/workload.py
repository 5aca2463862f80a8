"""The workload report over a month of a contact centre's rows.

    python bench/workload.py [--operators 200] [--items 200000] [--conversations 100000]
                             [--history 2000000] [--runs 5]

Fills a fresh PostgreSQL schema straight in SQL: ``--operators`` operators (tokens, skills
in 20 groups, a presence span every 30 minutes of 30 days), ``--items`` tickets each with
one work item completed over those 30 days (claimed, closed, most with a due time), three
transfers per hundred items, ``--conversations`` handed-off sessions claimed and handed
back, and ``--history`` other history rows (the steps of every session, which the
conversations' query has to pass over). Then times ``workload_report`` in this process
(PostgreSQL's share included) for a day, a week and the month, all groups and one group, and
prints the plan of the conversations' query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG_URL, fresh_schema, run_sql
from engine.operators.workload import workload_report
from engine.persistence.database import Database

END = datetime(2026, 11, 30, tzinfo=UTC)
START = END - timedelta(days=30)

FILL = """
INSERT INTO scripts (id, key, title, created_at, updated_at)
VALUES (1, 'bench_routing', '', now(), now());
INSERT INTO script_versions (id, script_id, number, content_hash, bundle, process_id, created_at)
VALUES (1, 1, 1, 'bench', '\\x00', 'bench', now());
INSERT INTO api_tokens (id, name, role, token_hash, created_at)
SELECT g, 'op-' || g, 'operator', md5('op-' || g), now() FROM generate_series(1, :operators) g;
INSERT INTO operators (id, token_id, login, name, presence, created_at, updated_at)
SELECT g, g, 'op-' || g, 'Operator ' || g, 'ready', now(), now()
FROM generate_series(1, :operators) g;
INSERT INTO operator_skills (operator_id, "group")
SELECT g, 'group_' || lpad((g % 20)::text, 2, '0') FROM generate_series(1, :operators) g;
INSERT INTO presence_spans (operator_id, state, started_at, ended_at)
SELECT o, (ARRAY['ready', 'busy', 'away', 'offline'])[(s + o) % 4 + 1],
       :start + (s * 30 || ' minutes')::interval, :start + ((s + 1) * 30 || ' minutes')::interval
FROM generate_series(1, :operators) o, generate_series(0, 30 * 48 - 1) s;
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       customer_key, state, created_at, updated_at, ended_at)
SELECT 'i' || g, 1, 'bench_routing', 1, 1, 'completed', 'ticket', 'c-' || (g % 50000), '{}',
       :start, :start, NULL
FROM generate_series(1, :items) g;
INSERT INTO tickets (id, seq, number, instance_id, script_key, version_number, customer_key,
                     channel, type, status, "group", created_at, updated_at)
SELECT 't' || g, g, 'T-' || g, 'i' || g, 'bench_routing', 1, 'c-' || (g % 50000), 'chat',
       'complaint', 'resolved', 'group_' || lpad((g % 20)::text, 2, '0'), :start, :start
FROM generate_series(1, :items) g;
INSERT INTO work_items (id, ticket_id, instance_id, element, "group", status, assignee, due_at,
                        created_at, claimed_at, closed_at, closed_by)
SELECT 'w' || g, 't' || g, 'i' || g, 'work', 'group_' || lpad((g % 20)::text, 2, '0'), 'done',
       'op-' || (g % :operators + 1),
       CASE WHEN g % 5 = 0 THEN NULL
            ELSE :start + (g::bigint * 2592000 / :items || ' seconds')::interval
                 + interval '2 hours' END,
       :start + (g::bigint * 2592000 / :items || ' seconds')::interval,
       :start + (g::bigint * 2592000 / :items || ' seconds')::interval,
       :start + (g::bigint * 2592000 / :items + 60 + g % 7200 || ' seconds')::interval,
       'op-' || (g % :operators + 1)
FROM generate_series(1, :items) g;
INSERT INTO ticket_route (ticket_id, at, event, actor, from_group, to_group)
SELECT 't' || g, :start + (g::bigint * 2592000 / :items || ' seconds')::interval, 'transferred',
       'op-' || (g % :operators + 1), 'group_' || lpad((g % 20)::text, 2, '0'), 'group_00'
FROM generate_series(1, :items) g WHERE g % 33 = 0;
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       state, created_at, updated_at)
SELECT 's' || g, 1, 'bench_routing', 1, 1, 'waiting', 'chat', '{}', :start, :start
FROM generate_series(1, :conversations) g;
INSERT INTO history (instance_id, at, event, kind, actor)
SELECT 's' || g, :start + (g::bigint * 2592000 / :conversations || ' seconds')::interval, 'claimed',
       'group_' || lpad((g % 20)::text, 2, '0'), 'op-' || (g % :operators + 1)
FROM generate_series(1, :conversations) g;
INSERT INTO history (instance_id, at, event, kind, actor)
SELECT 's' || g,
       :start + (g::bigint * 2592000 / :conversations + 120 + g % 900 || ' seconds')::interval,
       'handed_back', '', 'op-' || (g % :operators + 1)
FROM generate_series(1, :conversations) g;
INSERT INTO history (instance_id, at, event, element, actor)
SELECT 's' || (g % :conversations + 1), :start + (g % 2592000 || ' seconds')::interval,
       (ARRAY['entered', 'left'])[g % 2 + 1], 'step', 'bot'
FROM generate_series(1, :history) g;
ANALYZE;
"""


def fill(db: Database, args: argparse.Namespace) -> float:
    params = {
        "operators": args.operators,
        "items": args.items,
        "conversations": args.conversations,
        "history": args.history,
        "start": START,
    }
    t0 = time.perf_counter()
    run_sql(db.engine, FILL, params)
    return time.perf_counter() - t0


def timed(db: Database, runs: int, **query: Any) -> tuple[list[float], dict[str, Any]]:
    engine: Any = SimpleNamespace(clock=lambda: END, specs=None)
    times, report = [], {}
    for _ in range(runs):
        t0 = time.perf_counter()
        report = workload_report(db, engine, **query)
        times.append((time.perf_counter() - t0) * 1000)
    return times, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with fresh_schema(PG_URL) as env:
        db = Database(PG_URL, schema=env["CUEBOOK_DATABASE_SCHEMA"])
        print(f"filled in {fill(db, args):.1f} s: {args.operators} operators, {args.items} "
              f"work items, {args.conversations} conversations, {args.history} other history "
              f"rows, {args.operators * 30 * 48} presence spans")  # fmt: skip
        for name, days, group in (
            ("a day, all groups", 1, None),
            ("a week, all groups", 7, None),
            ("30 days, all groups", 30, None),
            ("30 days, group_03", 30, "group_03"),
        ):
            times, report = timed(db, args.runs, start=END - timedelta(days=days), end=END,
                                  group=group)  # fmt: skip
            total = report["total"]
            print(
                f"{name:<22} median {statistics.median(times):8.1f} ms  "
                f"min {min(times):8.1f} ms  ({len(report['operators'])} operators, "
                f"{total['items_handled']} items, p50 {total['handle_time_p50_s']} s)"
            )
        with db.engine.connect() as conn:
            plan = conn.execute(
                sa.text(
                    "EXPLAIN ANALYZE SELECT count(*) FROM history h JOIN instances i "
                    "ON i.id = h.instance_id WHERE h.event = 'claimed' "
                    "AND h.at >= :a AND h.at < :b"
                ),
                {"a": END - timedelta(days=8), "b": END},
            ).scalars()
            print("conversations' claims, the plan:\n  " + "\n  ".join(plan))
        db.dispose()


if __name__ == "__main__":
    main()
