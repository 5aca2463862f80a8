"""Concurrent requests on real PostgreSQL: one ticket per problem, one claim wins."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import auth
from tests.integration.test_tickets import ROUTING, open_ticket

THREADS = 8


@pytest.fixture()
def routing(deploy: Any, key: str, is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("row locks and advisory locks are PostgreSQL's")
    deploy(ROUTING, key)
    return key


def at_once(app: Any, action: Any) -> list[Any]:
    """``action(client)`` from THREADS threads released together."""
    gate = threading.Barrier(THREADS)

    def run(_: int) -> Any:
        client = app.test_client()
        gate.wait()
        return action(client)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_requests_about_one_problem_make_one_ticket(
    app: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    who = f"race-{uuid.uuid4().hex[:8]}"
    channels = ["chat", "email", "phone", "web"]
    results = at_once(
        app,
        lambda c: open_ticket(
            c,
            tokens["bot"],
            routing,
            customer_key=who,
            channel=channels[threading.get_ident() % 4],
        ),
    )
    assert sorted(r.status_code for r in results) == [200] * (THREADS - 1) + [201]
    assert len({r.get_json()["id"] for r in results}) == 1
    listed = client.get(f"/api/v1/tickets?customer_key={who}", headers=auth(tokens["bot"]))
    assert len(listed.get_json()["items"]) == 1
    detail = client.get(
        f"/api/v1/tickets/{results[0].get_json()['id']}", headers=auth(tokens["bot"])
    )
    assert len(detail.get_json()["messages"]) == THREADS


def test_of_concurrent_claims_one_wins(
    app: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    item = ticket["work_items"][0]["id"]
    people = [tokens["operator"], tokens["admin"]]
    results = at_once(
        app,
        lambda c: c.post(
            f"/api/v1/work-items/{item}/claim",
            headers=auth(people[threading.get_ident() % 2]),
        ),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * (THREADS - 1)
    winner = next(r for r in results if r.status_code == 200).get_json()["assignee"]
    for lost in (r for r in results if r.status_code == 409):
        assert f"claimed by {winner}" in lost.get_json()["error"]["message"]
