"""Ticket routing at scale: creation over HTTP, a group's queue page, the dedup look-up.

    python bench/routing.py [--tickets 100000] [--creates 3000] [--connections 16] [--workers 2]
                            [--sla-timers 5000] [--worker-interval 1.0]
                            [--only create|queue|dedup|sla ...]

Fills a fresh PostgreSQL schema with ``--tickets`` open tickets straight in SQL (each with
its instance row and one open work item, spread over 20 groups and half as many customers;
and 2% as many handed-off conversations),
deploys the test routing bundle as ``ticket_routing``, and prints:

- tickets opened per second through HTTP (gunicorn, 2 sync workers; every request a new
  customer, so each opens a ticket: classify by DMN, start the workflow, write the ticket, its
  instance, history, route, message, work item and events);
- p50 / p99 of a queue page (GET /api/v1/queues/{group}, 50 items, first and later pages);
- p50 / p99 of the dedup look-up (the problem's advisory lock, the open-ticket query and the
  counter when none is open: one round trip);
- the plans (EXPLAIN ANALYZE) of the queue's and the dedup's queries, as the code sends them;
- SLA timers fired per second by two ``cuebook worker`` processes: ``--sla-timers`` new
  tickets whose escalation timer is due (opened over HTTP with ``escalate_after`` PT1S), all
  fired (each escalates its ticket), and a check that none fired twice.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (
    CUEBOOK,
    PG_URL,
    ROOT,
    cli,
    fresh_schema,
    gunicorn_process,
    percentile,
    run_sql,
    summary,
)
from bench.load import Server, cpu_between, cpu_seconds
from engine.persistence.database import Database
from engine.tickets.dedup import look_up_problem
from engine.versions import SpecCache

BUNDLE = ROOT / "tests" / "fixtures" / "bundles" / "ticket_routing"
SCRIPT = "ticket_routing"
GROUPS = 20

FILL = """
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       customer_key, state, step_seq, lock_version, step_token, current_element,
                       misses, created_at, updated_at)
SELECT 'i' || lpad(g::text, 35, '0'), :script_id, :script, :version_id, 1, 'waiting', 'ticket',
       'bench-' || (g % :customers), '{}', 0, 0, '0.x', 'work', 0,
       now() - (g || ' seconds')::interval, now()
FROM generate_series(1, :rows) AS g;
INSERT INTO tickets (id, seq, number, instance_id, script_key, version_number, customer_key,
                     channel, type, category, subject, body, attributes, status, "group", rule,
                     due_at, created_at, updated_at)
SELECT 't' || lpad(g::text, 35, '0'), g, 'T-2026-' || lpad(g::text, 7, '0'),
       'i' || lpad(g::text, 35, '0'), :script, 1, 'bench-' || (g % :customers),
       (ARRAY['chat', 'email', 'phone', 'web'])[g % 4 + 1],
       (ARRAY['complaint', 'refund', 'question'])[g % 3 + 1],
       (ARRAY['billing', 'delivery', 'product', 'store', 'other'])[g % 5 + 1],
       'subject ' || g, '', '{}',
       (ARRAY['open', 'in_progress', 'waiting_customer'])[g % 3 + 1],
       'group_' || lpad((g % :groups)::text, 2, '0'), 'rule',
       now() + ((g % 997) || ' minutes')::interval, now() - (g || ' seconds')::interval, now()
FROM generate_series(1, :rows) AS g;
INSERT INTO work_items (id, ticket_id, instance_id, element, title, "group", status, assignee,
                        due_at, created_at)
SELECT 'w' || lpad(g::text, 35, '0'), 't' || lpad(g::text, 35, '0'),
       'i' || lpad(g::text, 35, '0'), 'work', 'Resolve the request',
       'group_' || lpad((g % :groups)::text, 2, '0'), 'open',
       CASE WHEN g % 7 = 0 THEN 'operator-' || (g % 30) END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE now() + ((g % 997) || ' minutes')::interval END,
       now() - (g || ' seconds')::interval
FROM generate_series(1, :rows) AS g;
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       session_key, state, step_seq, lock_version, step_token, current_element,
                       misses, handoff_queue, handoff_reason, handoff_code, handed_off_at,
                       created_at, updated_at)
SELECT 'h' || lpad(g::text, 35, '0'), :script_id, :script, :version_id, 1, 'handed_off',
       'chat', 'chat-' || g, '{}', 1, 1, '1.x', 'work', 0,
       'group_' || lpad((g % :groups)::text, 2, '0'), 'the customer asked for a person',
       'customer_asked', now() - (g || ' seconds')::interval,
       now() - (g || ' seconds')::interval, now()
FROM generate_series(1, :rows / 50) AS g;
SELECT setval('ticket_seq', :rows + 1);
ANALYZE;
"""


def fill(db: Database, rows: int) -> float:
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT s.id, v.id FROM scripts s JOIN script_versions v ON v.script_id = s.id "
                "AND v.number = s.published_version WHERE s.key = :key"
            ),
            {"key": SCRIPT},
        ).one()
    params = {
        "rows": rows,
        "customers": max(rows // 2, 1),
        "groups": GROUPS,
        "script": SCRIPT,
        "script_id": found[0],
        "version_id": found[1],
    }
    t0 = time.perf_counter()
    run_sql(db.engine, FILL, params)
    return time.perf_counter() - t0


async def _creates(
    base: str, token: str, count: int, connections: int, attributes: dict[str, Any] | None = None
) -> tuple[list[float], float]:
    import aiohttp

    times: list[float] = []
    errors: list[str] = []
    run = uuid.uuid4().hex[:6]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def client(session: Any) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            body = {
                "customer_key": f"new-{run}-{i}",
                "channel": ("chat", "email", "phone", "web")[i % 4],
                "type": ("complaint", "refund", "question")[i % 3],
                "category": ("billing", "delivery", "other")[i % 3],
                "subject": f"request {i}",
                "body": "The parcel has not arrived",
                "attributes": {
                    "segment": "vip" if i % 10 == 0 else "regular",
                    **(attributes or {}),
                },
            }
            t0 = time.perf_counter()
            async with session.post(f"{base}/api/v1/tickets", json=body) as resp:
                payload = await resp.json()
                if resp.status != 201:
                    errors.append(f"{resp.status} {str(payload)[:200]}")
            times.append((time.perf_counter() - t0) * 1000)

    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*[client(session) for _ in range(connections)])
        elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} failed creates, first: {errors[0]}")
    return times, count / elapsed


SLA_COUNTS = """
SELECT count(*) FILTER (WHERE r.event = 'escalated'),
       count(DISTINCT r.ticket_id) FILTER (WHERE r.event = 'escalated'),
       min(r.at) FILTER (WHERE r.event = 'escalated'),
       max(r.at) FILTER (WHERE r.event = 'escalated')
FROM ticket_route r JOIN tickets t ON t.id = r.ticket_id
WHERE t.customer_key LIKE 'new-%' AND t.attributes::jsonb ->> 'escalate_after' = 'PT1S'
"""
SLA_DUE = """
SELECT count(*) FROM instances i JOIN tickets t ON t.instance_id = i.id
WHERE t.attributes::jsonb ->> 'escalate_after' = 'PT1S' AND i.next_timer_at <= now()
"""
SLA_EVENTS = """
SELECT count(*), count(DISTINCT o.key) FROM outbox o JOIN tickets t ON t.id = o.key
WHERE o.topic LIKE '%ticket.escalated' AND t.attributes::jsonb ->> 'escalate_after' = 'PT1S'
"""


WORKER_APP = "cuebook-bench-worker-"
WORKER_BACKENDS = sa.text(
    "SELECT pid FROM pg_stat_activity WHERE application_name LIKE :app "
    "OR backend_type NOT IN ('client backend', 'walsender')"
)


def _paused_workers(env: dict[str, str], db: Database, interval: float) -> list[Any]:
    """Two real ``cuebook worker`` processes, started, connected, then stopped (SIGSTOP), so
    their start-up is not timed and they find every timer due at once when they go on."""
    workers = [
        subprocess.Popen(
            [CUEBOOK, "worker", "--interval", str(interval)],
            env=dict(env, PGAPPNAME=f"{WORKER_APP}{n}", PYTHONUNBUFFERED="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in (1, 2)
    ]
    names = sa.text(
        "SELECT count(DISTINCT application_name) FROM pg_stat_activity "
        "WHERE application_name LIKE 'cuebook-bench-worker-%'"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(names).scalar_one() == 2:
                break
        time.sleep(0.1)
    else:
        raise RuntimeError("the workers did not connect")
    time.sleep(0.5)  # their first pass (nothing due yet) is over
    for proc in workers:
        proc.send_signal(signal.SIGSTOP)
    return workers


def _cpu(db: Database, workers: list[Any]) -> float:
    """CPU seconds so far of the worker processes and of the PostgreSQL backends serving them."""
    with db.engine.connect() as conn:
        backends = [int(r[0]) for r in conn.execute(WORKER_BACKENDS, {"app": f"{WORKER_APP}%"})]
    return cpu_seconds([p.pid for p in workers]) + cpu_seconds(backends)


def _fired(output: str) -> int:
    return sum(int(m) for m in re.findall(r"fired (\d+) timer", output))


def _fire_all(db: Database, workers: list[Any]) -> tuple[float, float, list[str]]:
    """Let the paused workers go and wait until no timer is due; (wall s, CPU s, outputs)."""
    cpu = _cpu(db, workers)
    t0 = time.perf_counter()
    try:
        for proc in workers:
            proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with db.engine.connect() as conn:
                if conn.execute(sa.text(SLA_DUE)).scalar_one() == 0:
                    break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        cpu = _cpu(db, workers) - cpu
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGCONT)
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=60)[0] for proc in workers]
    return wall, cpu, outputs


def sla_timers(
    env: dict[str, str], db: Database, base: str, token: str, count: int, interval: float
) -> None:
    """``count`` tickets whose SLA timer (the escalation boundary timer) is due, fired by two
    ``cuebook worker`` processes at once: timers fired per second, CPU per firing, and that
    none fired twice.

    Each firing is a whole transition: the instance locked (SKIP LOCKED between the workers),
    its workflow restored, the timer's path run (the ticket escalated to another group, its
    work item cancelled, a new one opened, a new SLA timer), the ticket, route, work items,
    history and events written."""
    workers = _paused_workers(env, db, interval)
    asyncio.run(_creates(base, token, count, 16, {"escalate_after": "PT1S"}))
    time.sleep(1.5)  # every one of them due now
    with db.engine.connect() as conn:
        due = conn.execute(sa.text(SLA_DUE)).scalar_one()
    assert due == count, f"{due} of {count} timers due"
    wall, cpu, outputs = _fire_all(db, workers)
    with db.engine.connect() as conn:
        entries, tickets, first, last = conn.execute(sa.text(SLA_COUNTS)).one()
        events, keyed = conn.execute(sa.text(SLA_EVENTS)).one()
    window = (last - first).total_seconds() if first and last else float("nan")
    split = [_fired(out) for out in outputs]
    print(
        f"SLA timers: {count} due, fired by 2 cuebook worker processes (--interval {interval}): "
        f"{tickets} tickets escalated, {entries} escalations, {events} ticket.escalated events "
        f"({keyed} tickets); by worker {split[0]} + {split[1]} = {sum(split)}"
    )
    print(
        f"SLA timers fired: {entries / window:.0f}/s from the first firing to the last "
        f"({window:.2f} s), {entries / wall:.0f}/s until none was due ({wall:.2f} s)"
        f"  (target >= 500/s); CPU per firing {cpu / max(entries, 1) * 1000:.2f} ms"
        " (workers and their PostgreSQL backends)"
    )
    twice = entries - tickets
    print(f"SLA timers fired twice: {twice}" + ("" if twice == 0 else "  FAILED"))
    if twice or tickets != count or sum(split) != count:
        raise RuntimeError(f"timers fired wrongly: {entries} for {tickets} of {count} tickets")


def queue_pages(base: str, token: str, pages: int) -> tuple[list[float], list[float]]:
    """Latencies of first pages (random groups) and of following pages (walking ``next``)."""
    first: list[float] = []
    later: list[float] = []
    rng = random.Random(3)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        for _ in range(pages):
            group = f"group_{rng.randrange(GROUPS):02d}"
            t0 = time.perf_counter()
            page = c.get(f"/api/v1/queues/{group}?limit=50")
            first.append((time.perf_counter() - t0) * 1000)
            body = page.json()
            assert page.status_code == 200 and len(body["items"]) == 50, body
            for _ in range(3):
                t0 = time.perf_counter()
                page = c.get(f"/api/v1/queues/{group}", params={"after": body["next"]})
                later.append((time.perf_counter() - t0) * 1000)
                body = page.json()
    return first, later


def dedup_lookups(db: Database, rows: int, count: int) -> tuple[list[float], int]:
    """The look-up a create makes before opening a ticket, on existing customers: the
    problem's lock and the open-ticket query, timed inside a transaction that already read
    the published version (as a create's has)."""
    with db.unit_of_work() as uow:
        release = uow.scripts.published_version_id(SCRIPT)
        rules = SpecCache().get(uow, release["version_id"]).routing
    assert rules is not None
    rng = random.Random(5)
    times, found = [], 0
    now = datetime.now(UTC)
    customers = max(rows // 2, 1)
    for _ in range(count):
        g = rng.randrange(1, rows + 1)
        who = f"bench-{g % customers}"
        kind = ("complaint", "refund", "question")[g % 3]
        category = ("billing", "delivery", "product", "store", "other")[g % 5]
        with db.unit_of_work() as uow:
            uow.scripts.published_version_id(SCRIPT)
            t0 = time.perf_counter()
            hit, _seq = look_up_problem(uow, rules, who, kind, category, now)
            times.append((time.perf_counter() - t0) * 1000)
        found += hit is not None
    return times, found


def explain(db: Database) -> None:
    """EXPLAIN ANALYZE of the statements a queue page and a dedup look-up send."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if "work_items" in statement or "FROM tickets" in statement or "handoff_queue" in statement:
            captured.append((statement, params))

    from engine.tickets.queue import _candidates

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    with db.unit_of_work() as uow:
        _candidates(uow, "group_07", 51, None)
    with db.unit_of_work() as uow:
        release = uow.scripts.published_version_id(SCRIPT)
        rules = SpecCache().get(uow, release["version_id"]).routing
        assert rules is not None
        look_up_problem(uow, rules, "bench-77", "complaint", "billing", datetime.now(UTC))
    sa.event.remove(db.engine, "before_cursor_execute", capture)
    names = [
        "queue: work items (with a due time, then without)",
        "queue: handed-off conversations",
        "dedup: the open ticket of the problem (else the counter)",
    ]
    with db.engine.connect() as conn:
        for name, (statement, params) in zip(names, captured, strict=False):
            last = statement.rsplit("; SELECT", 1)  # the look-up after the problem's lock
            statement = last[0] if len(last) == 1 else "SELECT" + last[1]
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            print(f"\n== {name}")
            print("\n".join("   " + r[0] for r in plan))


PARTS = ("create", "queue", "dedup", "sla")


def _over_http(args: argparse.Namespace, env: dict[str, str], db: Database, token: str) -> None:
    with gunicorn_process(env, workers=args.workers) as (base, proc):
        if "create" in args.only:
            asyncio.run(_creates(base, token, 200, args.connections))  # warm up
            server = Server(proc.pid, f"cuebook-bench-{base.rsplit(':', 1)[1]}")
            before, client = server.sample(), time.process_time()
            times, rate = asyncio.run(_creates(base, token, args.creates, args.connections))
            after, client = server.sample(), time.process_time() - client
            print(
                summary(f"ticket created over HTTP, {args.connections} in flight", times)
                + f", {args.workers} workers"
                + f"  {rate:.0f} tickets/s (target >= 300)"
            )
            app, pg = (
                cpu_between(b, a) / args.creates * 1000 for a, b in zip(after, before, strict=True)
            )
            print(
                f"CPU per ticket created: gunicorn {app:.2f} ms + PostgreSQL {pg:.2f} ms"
                f" = {app + pg:.2f} ms; the load client {client / args.creates * 1000:.2f} ms"
            )
        if "queue" in args.only:
            queue_pages(base, token, 20)  # warm up
            first, later = queue_pages(base, token, args.pages)
            print(summary("queue page (HTTP), first page", first))
            print(summary("queue page (HTTP), following pages", later))
            print(
                f"queue page p99, all pages: {percentile(first + later, 99):.2f} ms (target < 20)"
            )
        if "sla" in args.only:
            sla_timers(env, db, base, token, args.sla_timers, args.worker_interval)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets made in SQL")
    parser.add_argument("--creates", type=int, default=3000, help="tickets opened over HTTP")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--sla-timers", type=int, default=5000, help="due SLA timers to fire")
    parser.add_argument(
        "--worker-interval", type=float, default=1.0, help="cuebook worker --interval"
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    args = parser.parse_args()
    args.only = set(args.only or PARTS)
    with fresh_schema() as env:
        cli(env, "deploy", str(BUNDLE), "--script", SCRIPT, "--publish")
        token = cli(env, "token", "create", "--role", "admin", "--name", "bench")
        db = Database(PG_URL, schema=env["CUEBOOK_DATABASE_SCHEMA"])
        took = fill(db, args.tickets)
        print(f"filled {args.tickets} open tickets (instances, work items) in {took:.0f} s")
        _over_http(args, env, db, token)
        if "dedup" in args.only:
            dedup_lookups(db, args.tickets, 200)  # warm up
            looks, found = dedup_lookups(db, args.tickets, args.lookups)
            print(summary("dedup look-up (lock + query)", looks) + f"  {found} found open")
            print(f"dedup look-up p99: {percentile(looks, 99):.2f} ms (target < 5)")
            explain(db)
        db.dispose()


if __name__ == "__main__":
    main()
