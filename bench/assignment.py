"""Assignment by offers at scale: 500 operators, 5,000 waiting items, two servers.

    python bench/assignment.py [--operators 500] [--items 5000] [--groups 20] [--probes 200]
                               [--rate 10] [--connections 16]

Fills a fresh PostgreSQL schema straight in SQL with ``--items`` waiting ticket work items
(spread over ``--groups`` groups ``group_00`` ...) and ``--operators`` ready operators with
their tokens (each serving ``group_00`` and one other group), starts two ``cuebook serve``
processes (two gunicorn workers each, so four assigning threads), and prints:

1. enqueue -> offer: ``--probes`` chat sessions handed off over HTTP (``--rate`` a second,
   alternating servers) into ``group_00``, whose 250-odd waiting work items nobody can take
   (every operator's ticket capacity is 0 in this part: each offer skips them); the time
   from the handoff (``handed_off_at``) to the offer's ``offered_at``, both written by the
   servers' clocks, p50 / p99;
2. sustained assignments: every operator's ticket capacity raised to hold the backlog, each
   operator set busy then ready through one of the servers (their groups are assigned), and
   a client accepting every pending offer through alternating servers (``--connections``
   in flight) until all ``--items`` are taken: accepted offers per second overall and the
   slowest 5-second window;
3. the checks: no item accepted twice, one 'claimed' route entry per ticket, each work
   item held by the operator whose offer was accepted, nobody over capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG_URL, ROOT, cli, fresh_schema, gunicorn_process, run_sql, summary
from engine.persistence.database import Database

BUNDLES = ROOT / "tests" / "fixtures" / "bundles"
CHAT = "bench_chat"
ROUTING = "ticket_routing"
PROBE_GROUP = "group_00"
STALL_S = 30.0

FILL_ITEMS = """
INSERT INTO instances (id, script_id, script_key, version_id, version_number, status, channel,
                       customer_key, state, step_seq, lock_version, step_token, current_element,
                       misses, created_at, updated_at)
SELECT 'i' || lpad(g::text, 35, '0'), :script_id, :script, :version_id, 1, 'waiting', 'ticket',
       'bench-' || g, '{}', 0, 0, '0.x', 'work', 0, now() - (g || ' seconds')::interval, now()
FROM generate_series(1, :rows) AS g;
INSERT INTO tickets (id, seq, number, instance_id, script_key, version_number, customer_key,
                     channel, type, category, subject, body, attributes, status, "group", rule,
                     due_at, created_at, updated_at)
SELECT 't' || lpad(g::text, 35, '0'), g, 'T-2026-' || lpad(g::text, 7, '0'),
       'i' || lpad(g::text, 35, '0'), :script, 1, 'bench-' || g, 'chat', 'complaint',
       'billing', 'subject ' || g, '', '{}', 'open',
       'group_' || lpad((g % :groups)::text, 2, '0'), 'rule', NULL,
       now() - (g || ' seconds')::interval, now()
FROM generate_series(1, :rows) AS g;
INSERT INTO work_items (id, ticket_id, instance_id, element, title, "group", status, assignee,
                        due_at, created_at)
SELECT 'w' || lpad(g::text, 35, '0'), 't' || lpad(g::text, 35, '0'),
       'i' || lpad(g::text, 35, '0'), 'work', 'Resolve the request',
       'group_' || lpad((g % :groups)::text, 2, '0'), 'open', NULL, NULL,
       now() - (g || ' seconds')::interval
FROM generate_series(1, :rows) AS g;
SELECT setval('ticket_seq', :rows + 1)
"""

FILL_OPERATORS = """
INSERT INTO api_tokens (name, role, token_hash, created_at)
SELECT 'bench-op-' || g, 'operator',
       encode(sha256(convert_to('cb_bench_' || g, 'UTF8')), 'hex'), now()
FROM generate_series(1, :operators) AS g;
INSERT INTO operators (token_id, login, name, languages, channels, capacity_conversations,
                       capacity_tickets, presence, presence_since, last_seen_at, idle_since,
                       active, created_at, updated_at)
SELECT t.id, t.name, t.name, '[]', '[]', 1, 0, 'ready', now(), now(),
       now() - (t.id || ' seconds')::interval, true, now(), now()
FROM api_tokens t WHERE t.name LIKE 'bench-op-%';
INSERT INTO presence_spans (operator_id, state, started_at)
SELECT id, 'ready', now() FROM operators;
INSERT INTO operator_skills (operator_id, "group", level)
SELECT id, 'group_00', 1 FROM operators;
INSERT INTO operator_skills (operator_id, "group", level)
SELECT id, 'group_' || lpad((1 + id % (:groups - 1))::text, 2, '0'), 2 FROM operators;
ANALYZE
"""


def fill(db: Database, args: argparse.Namespace) -> float:
    with db.engine.connect() as conn:
        script_id, version_id = conn.execute(
            sa.text(
                "SELECT s.id, v.id FROM scripts s JOIN script_versions v ON v.script_id = s.id "
                "AND v.number = s.published_version WHERE s.key = :key"
            ),
            {"key": ROUTING},
        ).one()
    t0 = time.perf_counter()
    params = {"script_id": script_id, "version_id": version_id, "script": ROUTING}
    run_sql(db.engine, FILL_ITEMS, {**params, "rows": args.items, "groups": args.groups})
    run_sql(db.engine, FILL_OPERATORS, {"operators": args.operators, "groups": args.groups})
    return time.perf_counter() - t0


def _chat_bundle() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    for item in (BUNDLES / "menu_loop").iterdir():
        shutil.copy(item, folder / item.name)
    manifest = {"primary_process_id": "menu_loop", "handoff_queue": PROBE_GROUP}
    (folder / "cuebook.json").write_text(json.dumps(manifest))
    return folder


# -- 1. enqueue -> offer ---------------------------------------------------------------------


async def _probes(bases: list[str], bot: str, count: int, rate: float) -> list[str]:
    import aiohttp

    headers = {"Authorization": f"Bearer {bot}"}
    ids: list[str] = []
    errors: list[str] = []

    async def one(session: Any, base: str) -> None:
        start = {"script": CHAT, "channel": "chat"}
        async with session.post(f"{base}/api/v1/sessions", json=start) as resp:
            view = await resp.json()
        body = {"step_token": view["step_token"], "text": "operator"}
        url = f"{base}/api/v1/sessions/{view['session_id']}/steps"
        async with session.post(url, json=body) as resp:
            moved = await resp.json()
        if moved.get("status") != "handed_off":
            errors.append(str(moved)[:200])
        else:
            ids.append(moved["session_id"])

    async with aiohttp.ClientSession(headers=headers) as session:
        tasks = []
        for n in range(count):
            tasks.append(asyncio.create_task(one(session, bases[n % 2])))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    if errors:
        raise RuntimeError(f"{len(errors)} handoffs failed: {errors[:3]}")
    return ids


def _offer_delays(db: Database, ids: list[str]) -> tuple[list[float], int]:
    q = sa.text(
        "SELECT i.id, min(f.offered_at) - i.handed_off_at AS delay FROM instances i "
        "JOIN offers f ON f.item_kind = 'conversation' AND f.item_id = i.id "
        "WHERE i.id = ANY(:ids) GROUP BY i.id, i.handed_off_at"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(q, {"ids": ids}).all()
    return [r.delay.total_seconds() * 1000 for r in rows], len(rows)


def enqueue_to_offer(db: Database, bases: list[str], bot: str, args: argparse.Namespace) -> None:
    asyncio.run(_probes(bases, bot, 10, args.rate))  # warm up (each worker's caches)
    ids = asyncio.run(_probes(bases, bot, args.probes, args.rate))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        delays, offered = _offer_delays(db, ids)
        if offered == len(ids):
            break
        time.sleep(0.5)
    print(
        summary(f"enqueue -> offer ({args.operators} ready, {args.items} waiting)", delays)
        + f"  {offered}/{len(ids)} offered (target p99 < 200 ms)"
    )


# -- 2. sustained assignments ----------------------------------------------------------------


async def _flip(bases: list[str], tokens: list[str], connections: int) -> None:
    import aiohttp

    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n, token in enumerate(tokens):
        queue.put_nowait((n, token))

    async def client(session: Any) -> None:
        while not queue.empty():
            n, token = queue.get_nowait()
            headers = {"Authorization": f"Bearer {token}"}
            for state in ("busy", "ready"):
                url = f"{bases[n % 2]}/api/v1/operators/me/presence"
                for _try in range(20):  # 503: the database's connections are all taken
                    async with session.put(url, json={"presence": state}, headers=headers) as r:
                        if r.status == 200:
                            break
                        if r.status != 503:
                            raise RuntimeError(await r.text())
                    await asyncio.sleep(0.5)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))


def _pending(db: Database, seen: set[str]) -> list[tuple[str, str]]:
    q = sa.text(
        "SELECT f.id, o.login FROM offers f JOIN operators o ON o.id = f.operator_id "
        "WHERE f.status = 'pending' AND f.item_kind = 'ticket' ORDER BY f.offered_at"
    )
    with db.engine.connect() as conn:
        return [(r.id, r.login) for r in conn.execute(q) if r.id not in seen]


async def _accept_all(
    db: Database, bases: list[str], total: int, connections: int, timeout: float
) -> tuple[list[float], list[str]]:
    import aiohttp

    done_at: list[float] = []
    refused: list[str] = []
    retried: list[str] = []
    seen: set[str] = set()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    stop = time.monotonic() + timeout

    async def client(session: Any, n: int) -> None:
        while time.monotonic() < stop and len(done_at) < total:
            try:
                offer_id, login = await asyncio.wait_for(queue.get(), 0.2)
            except TimeoutError:
                continue
            token = "cb_bench_" + login.rsplit("-", 1)[1]
            url = f"{bases[n % 2]}/api/v1/offers/{offer_id}/accept"
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(url, headers=headers) as resp:
                if resp.status == 200:
                    done_at.append(time.monotonic())
                elif resp.status == 503:  # the database's connections are all taken: again
                    queue.put_nowait((offer_id, login))
                    retried.append(offer_id)
                else:
                    refused.append(f"{resp.status} {(await resp.text())[:160]}")

    async def feeder() -> None:
        nonlocal stop
        while time.monotonic() < stop and len(done_at) < total:
            for found in await asyncio.to_thread(_pending, db, seen):
                seen.add(found[0])
                queue.put_nowait(found)
            if done_at and time.monotonic() - done_at[-1] > STALL_S and queue.empty():
                stop = time.monotonic()  # nothing offered for a while: what is left stays
            await asyncio.sleep(0.1)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(feeder(), *(client(session, n) for n in range(connections)))
    return done_at, refused


def sustained(db: Database, bases: list[str], args: argparse.Namespace) -> None:
    # Room for the backlog even where a group's operators are few (each serves two groups).
    per_operator = 2 * -(-args.items // args.operators) + 2
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE operators SET capacity_tickets = :c"), {"c": per_operator})
        logins = list(conn.execute(sa.text("SELECT login FROM operators ORDER BY id")).scalars())
    tokens = ["cb_bench_" + login.rsplit("-", 1)[1] for login in logins]
    started = time.monotonic()

    async def both() -> tuple[list[float], list[str]]:
        accepting = asyncio.create_task(
            _accept_all(db, bases, args.items, args.connections, timeout=600)
        )
        await _flip(bases, tokens, 8)
        return await accepting

    done_at, refused = asyncio.run(both())
    if not done_at:
        print("no offer was accepted")
        return
    took = done_at[-1] - started
    windows = Counter(int((t - started) // 5) for t in done_at)
    full = [windows[w] / 5 for w in range(int(took // 5))] or [len(done_at) / took]
    print(
        f"assignments (offered, accepted, claimed) across 2 servers: {len(done_at)} in "
        f"{took:.1f} s = {len(done_at) / took:.0f}/s; slowest 5-s window {min(full):.0f}/s, "
        f"median window {statistics.median(full):.0f}/s (target >= 100/s); "
        f"{len(refused)} accept(s) refused" + (f", e.g. {refused[0]}" if refused else "")
    )


# -- 3. checks ------------------------------------------------------------------------------

CHECKS = {
    "items accepted more than once": (
        "SELECT count(*) FROM (SELECT item_id FROM offers WHERE status = 'accepted' "
        "GROUP BY item_kind, item_id HAVING count(*) > 1) AS d"
    ),
    "items with two pending offers": (
        "SELECT count(*) FROM (SELECT item_id FROM offers WHERE status = 'pending' "
        "GROUP BY item_kind, item_id HAVING count(*) > 1) AS d"
    ),
    "tickets claimed more than once": (
        "SELECT count(*) FROM (SELECT ticket_id FROM ticket_route WHERE event = 'claimed' "
        "GROUP BY ticket_id HAVING count(*) > 1) AS d"
    ),
    "work items held by someone else than the accepted offer's operator": (
        "SELECT count(*) FROM offers f JOIN operators o ON o.id = f.operator_id "
        "JOIN work_items w ON w.id = f.item_id WHERE f.status = 'accepted' "
        "AND f.item_kind = 'ticket' AND w.assignee IS DISTINCT FROM o.login"
    ),
    "operators over their ticket capacity": (
        "SELECT count(*) FROM operators o WHERE o.capacity_tickets < (SELECT count(*) "
        "FROM work_items w WHERE w.assignee = o.login AND w.status = 'open')"
    ),
}


def checks(db: Database) -> None:
    with db.engine.connect() as conn:
        for name, query in CHECKS.items():
            found = conn.execute(sa.text(query)).scalar_one()
            print(f"check: {name}: {found}" + ("" if found == 0 else "  <-- FAILED"))
        held = conn.execute(
            sa.text("SELECT count(*) FROM work_items WHERE assignee IS NOT NULL")
        ).scalar_one()
        print(f"work items held after the run: {held}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operators", type=int, default=500)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--probes", type=int, default=200, help="handoffs timed to their offer")
    parser.add_argument("--rate", type=float, default=10.0, help="handoffs per second")
    parser.add_argument("--connections", type=int, default=16, help="accepts in flight")
    args = parser.parse_args()
    with fresh_schema() as env:
        # No offer lapses while the run lasts; four gunicorn workers stay within the
        # database's connections on a machine other processes share.
        env = dict(env, CUEBOOK_OFFER_TIMEOUT="120", CUEBOOK_DB_POOL_SIZE="3")
        cli(env, "deploy", str(BUNDLES / "ticket_routing"), "--script", ROUTING, "--publish")
        cli(env, "deploy", str(_chat_bundle()), "--script", CHAT, "--publish")
        bot = cli(env, "token", "create", "--role", "bot", "--name", "bench-bot")
        db = Database(PG_URL, schema=env["CUEBOOK_DATABASE_SCHEMA"])
        took = fill(db, args)
        print(
            f"filled {args.items} waiting work items in {args.groups} groups and "
            f"{args.operators} ready operators in {took:.1f} s"
        )
        with (
            gunicorn_process(env, start_timeout=180) as (one, _p1),
            gunicorn_process(env, start_timeout=180) as (two, _p2),
        ):
            bases = [one, two]
            enqueue_to_offer(db, bases, bot, args)
            sustained(db, bases, args)
        checks(db)
        db.dispose()


if __name__ == "__main__":
    main()
