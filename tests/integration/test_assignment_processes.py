"""Two `cuebook serve` processes (two gunicorn workers each, so four assigning threads) on
one PostgreSQL schema: tickets open and operators become ready through both at once, the
operators accept what they are offered through either, and no item is offered to two
operators at once, accepted twice, or claimed twice; no operator holds more than their
capacity."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from engine.persistence.tables import offers, ticket_route, work_items
from tests.conftest import auth
from tests.support.operators import new_group, new_operator
from tests.support.waiting import join_all, wait_until
from tests.support.worker_env import worker_env

pytestmark = pytest.mark.postgres

CUEBOOK = Path(sys.executable).parent / "cuebook"
OPERATORS = 12
CAPACITY = 3
TICKETS = 30


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def servers(settings: Any, is_postgres: bool, tmp_path: Path) -> Iterator[list[str]]:
    """Two `cuebook serve` processes; their base URLs."""
    if not is_postgres:
        pytest.skip("several processes share a PostgreSQL database")
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    bases = []
    for n in range(2):
        port = _port()
        env = worker_env(settings, f"assign-serve-{n}")
        log = tmp_path / f"serve-{n}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(CUEBOOK), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", "2"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,
            )  # fmt: skip
        started.append((proc, log))
        bases.append(f"http://127.0.0.1:{port}")

    def ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> bool:
        if proc.poll() is not None:
            pytest.fail(f"cuebook serve exited:\n{log.read_text()}")
        try:
            return httpx.get(base + "/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        for base, (proc, log) in zip(bases, started, strict=True):
            wait_until(lambda b=base, p=proc, lg=log: ready(b, p, lg), "serve", timeout=30)
        yield bases
    finally:
        for proc, _log in started:
            proc.terminate()
        for proc, _log in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(timeout=10)


def test_two_servers_never_give_one_item_to_two_operators(
    servers: list[str], client: Any, tokens: dict[str, str], deploy: Any, services: Any
) -> None:
    group = new_group(deploy)
    team = [
        new_operator(
            client, tokens, group.name, capacity_tickets=CAPACITY, capacity_conversations=0
        )
        for _ in range(OPERATORS)
    ]
    clients = {
        (op["login"], n): httpx.Client(base_url=base, headers=auth(op["token"]), timeout=20)
        for op in team
        for n, base in enumerate(servers)
    }
    bots = [httpx.Client(base_url=b, headers=auth(tokens["bot"]), timeout=30) for b in servers]
    failures: list[str] = []
    accepted: list[tuple[str, str]] = []  # (login, item id)
    done = threading.Event()

    def open_tickets(n: int) -> None:
        try:
            for k in range(n, TICKETS, 3):
                body = {
                    "script": group.routing,
                    "channel": "chat",
                    "type": "complaint",
                    "category": group.name,
                    "subject": f"t{k}",
                    "customer_key": f"c{k}-{group.name}",
                }
                resp = bots[k % 2].post("/api/v1/tickets", json=body)
                assert resp.status_code == 201, resp.text
        except BaseException as exc:
            failures.append(repr(exc))

    def work(op: dict[str, Any], n: int) -> None:
        try:
            turn = itertools.cycle([clients[(op["login"], 0)], clients[(op["login"], 1)]])
            ready = next(turn).put("/api/v1/operators/me/presence", json={"presence": "ready"})
            assert ready.status_code == 200, ready.text
            while not done.is_set():
                mine = next(turn).get("/api/v1/operators/me/offers").json()["offers"]
                for offer in mine:
                    resp = next(turn).post(f"/api/v1/offers/{offer['id']}/accept")
                    if resp.status_code == 200:
                        accepted.append((op["login"], offer["item_id"]))
                    else:  # only a lapsed offer may be refused
                        assert resp.json()["error"]["code"] in ("offer_expired", "offer_closed")
                done.wait(0.05)
        except BaseException as exc:
            failures.append(repr(exc))

    openers = [threading.Thread(target=open_tickets, args=(n,)) for n in range(3)]
    workers = [threading.Thread(target=work, args=(op, n)) for n, op in enumerate(team)]
    for thread in workers + openers:
        thread.start()
    try:
        join_all(openers, "tickets to open", timeout=90)
        wait_until(
            lambda: len(accepted) >= TICKETS or failures, "every ticket accepted", timeout=60
        )
    finally:
        done.set()
        join_all(workers, "the operators", timeout=30)
        for c in [*clients.values(), *bots]:
            c.close()
    assert failures == []

    with services.database.engine.connect() as conn:
        items = conn.execute(
            sa.select(work_items.c.id, work_items.c.assignee, work_items.c.ticket_id).where(
                work_items.c.group == group.name
            )
        ).all()
        made = conn.execute(
            sa.select(offers.c.item_id, offers.c.status, offers.c.operator_id).where(
                offers.c.group == group.name
            )
        ).all()
        claims = Counter(
            conn.execute(
                sa.select(ticket_route.c.ticket_id).where(
                    ticket_route.c.event == "claimed",
                    ticket_route.c.ticket_id.in_([i.ticket_id for i in items]),
                )
            ).scalars()
        )
    assert len(items) == TICKETS
    taken = Counter(item for _login, item in accepted)
    assert set(taken) == {i.id for i in items} and max(taken.values()) == 1  # each once
    assert Counter(s for _i, s, _o in made)["accepted"] == TICKETS
    assert max(Counter(i for i, s, _o in made if s == "accepted").values()) == 1
    assert all(claims[i.ticket_id] == 1 for i in items)  # one claim in each ticket's route
    holder = {item: login for login, item in accepted}
    assert all(i.assignee == holder[i.id] for i in items)
    held = Counter(i.assignee for i in items)
    assert max(held.values()) <= CAPACITY
    for op in team:
        client.put(
            "/api/v1/operators/me/presence", json={"presence": "away"}, headers=auth(op["token"])
        )
