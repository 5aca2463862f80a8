"""Offers over HTTP: an item entering a group's queue is offered to the ready operator
with the skill, a free slot and the longest idle time; accepted (a claim, as by hand) or
declined (to the next operator); an offer's time runs out in `cuebook worker`'s pass; a
silent operator goes offline and their offers go to others."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine.persistence.tables import history, offers, operators, outbox
from engine.worker import Worker
from tests.conftest import auth
from tests.support.operators import (
    a_conversation,
    a_work_item,
    new_group,
    new_operator,
    offers_of,
    presence,
    wait_offers,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.smoke


def _accept(client: Any, token: str, offer: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/offers/{offer['id']}/accept", headers=auth(token))


def _settle(services: Any) -> None:
    """Wait until this process's assignment thread has nothing left to do."""
    wait_until(services.operators.dispatcher.idle, "assignment to settle")


def _set(services: Any, table: Any, where: Any, **values: Any) -> None:
    with services.database.unit_of_work() as uow:
        uow.conn.execute(table.update().where(where).values(**values))


def _worker_pass(services: Any) -> None:
    Worker(
        services.database, services.engine, None, services.engine.clock,
        operators=services.operators,
    ).run_pass()  # fmt: skip


def test_a_handoff_is_offered_and_accepting_claims_it(
    client: Any, tokens: dict[str, str], deploy: Any, services: Any
) -> None:
    group = new_group(deploy)
    op = new_operator(client, tokens, group.name)
    assert presence(client, op["token"], "ready").status_code == 200

    talk = a_conversation(client, tokens, group)
    (offer,) = wait_offers(client, op["token"])
    assert (offer["item_kind"], offer["item_id"], offer["group"]) == (
        "conversation",
        talk,
        group.name,
    )
    assert offer["status"] == "pending" and 0 < offer["seconds_left"] <= 20

    # A pending offer counts against capacity (1 conversation): a second waits.
    second = a_conversation(client, tokens, group)
    _settle(services)
    assert [o["item_id"] for o in offers_of(client, op["token"])] == [talk]

    took = _accept(client, op["token"], offer)
    assert took.status_code == 200, took.get_json()
    body = took.get_json()
    assert body["offer"]["status"] == "accepted" and body["session"]["session_id"] == talk
    # Exactly what a claim does: the assignee, a 'claimed' history row, the event.
    shown = client.get(f"/api/v1/sessions/{talk}", headers=auth(op["token"])).get_json()
    assert shown["status"] == "handed_off"
    with services.database.unit_of_work() as uow:
        notes = uow.conn.execute(
            sa.select(history.c.event, history.c.actor).where(history.c.instance_id == talk)
        ).all()
        events = [
            json.loads(p)
            for p in uow.conn.execute(
                sa.select(outbox.c.payload).where(outbox.c.key == talk)
            ).scalars()
        ]
    assert ("claimed", op["login"]) in [tuple(n) for n in notes]
    claimed = [e for e in events if e["type"] == "session.claimed"]
    assert claimed and claimed[0]["data"]["operator"] == op["login"]
    again = _accept(client, op["token"], offer)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "offer_closed"
    taken = client.post(f"/api/v1/sessions/{talk}/claim", headers=auth(tokens["operator"]))
    assert taken.status_code == 409  # nobody else can claim it now

    # Holding one of one: the second conversation stays in the queue, not offered.
    _settle(services)
    assert offers_of(client, op["token"]) == []
    queue = client.get(f"/api/v1/queues/{group.name}", headers=auth(op["token"])).get_json()
    assert [i["session_id"] for i in queue["items"]] == [second]


def test_declined_goes_to_the_next_and_the_longest_idle_comes_first(
    client: Any, tokens: dict[str, str], deploy: Any, services: Any
) -> None:
    group = new_group(deploy)
    first = new_operator(client, tokens, group.name, capacity_tickets=2)
    second = new_operator(client, tokens, group.name, capacity_tickets=2)
    elsewhere = new_group(deploy)
    other = new_operator(client, tokens, elsewhere.name)  # another group: never offered these
    for op in (first, second, other):
        assert presence(client, op["token"], "ready").status_code == 200

    item = a_work_item(client, tokens, group)
    (offer,) = wait_offers(client, first["token"])  # ready first: idle longest
    assert offer["item_kind"] == "ticket" and offer["item_id"] == item
    assert offers_of(client, second["token"]) == []

    declined = client.post(f"/api/v1/offers/{offer['id']}/decline", headers=auth(first["token"]))
    assert declined.status_code == 200 and declined.get_json()["offer"]["status"] == "declined"
    (passed,) = wait_offers(client, second["token"])
    assert passed["item_id"] == item
    _settle(services)
    assert offers_of(client, first["token"]) == []  # not offered to who declined it
    assert offers_of(client, other["token"]) == []

    took = _accept(client, second["token"], passed)
    assert took.status_code == 200, took.get_json()
    work = took.get_json()["work_item"]
    assert work["id"] == item and work["assignee"] == second["login"]
    route = client.get(f"/api/v1/tickets/{work['ticket_id']}/route", headers=auth(tokens["bot"]))
    claimed = [e for e in route.get_json()["entries"] if e["event"] == "claimed"]
    assert claimed[-1]["actor"] == second["login"]

    # The one who just took work is now the last to get more: the next item goes to first.
    nxt = a_work_item(client, tokens, group)
    _settle(services)
    (offer,) = wait_offers(client, first["token"])
    assert offer["item_id"] == nxt

    bad = client.post("/api/v1/offers/no-such-offer/accept", headers=auth(first["token"]))
    assert bad.status_code == 404
    theirs = _accept(client, second["token"], offer)  # another operator's offer
    assert theirs.status_code == 409


def test_a_late_accept_gets_409_and_the_worker_moves_expired_offers_on(
    client: Any, tokens: dict[str, str], deploy: Any, services: Any
) -> None:
    group = new_group(deploy)
    slow = new_operator(client, tokens, group.name)
    assert presence(client, slow["token"], "ready").status_code == 200
    talk = a_conversation(client, tokens, group)
    (offer,) = wait_offers(client, slow["token"])

    past = services.engine.clock() - timedelta(seconds=1)
    _set(services, offers, offers.c.id == offer["id"], expires_at=past)
    late = _accept(client, slow["token"], offer)
    assert late.status_code == 409, late.get_json()
    assert late.get_json()["error"]["code"] == "offer_expired"
    view = client.get(f"/api/v1/sessions/{talk}", headers=auth(tokens["operator"])).get_json()
    assert view["status"] == "handed_off"  # still waiting for a person, nobody has it

    # Offered again (not to who let it pass): to a second operator when one is ready.
    quick = new_operator(client, tokens, group.name)
    assert presence(client, quick["token"], "ready").status_code == 200
    (again,) = wait_offers(client, quick["token"])
    assert again["item_id"] == talk and again["id"] != offer["id"]

    # The worker's pass expires an offer nobody answered and offers the item to the next.
    _set(services, offers, offers.c.id == again["id"], expires_at=past)
    third = new_operator(client, tokens, group.name)
    _set(services, operators, operators.c.id == third["id"], presence="busy")
    assert presence(client, third["token"], "ready").status_code == 200
    _settle(services)
    assert offers_of(client, third["token"]) == []  # the item has a pending offer still
    _worker_pass(services)
    with services.database.unit_of_work() as uow:
        status = uow.conn.execute(
            sa.select(offers.c.status).where(offers.c.id == again["id"])
        ).scalar_one()
    assert status == "expired"
    (moved,) = wait_offers(client, third["token"])
    assert moved["item_id"] == talk


def test_a_silent_operator_goes_offline_and_their_offers_go_to_others(
    client: Any, tokens: dict[str, str], deploy: Any, services: Any
) -> None:
    group = new_group(deploy)
    gone = new_operator(client, tokens, group.name)
    here = new_operator(client, tokens, group.name)
    assert presence(client, gone["token"], "ready").status_code == 200
    talk = a_conversation(client, tokens, group)
    wait_offers(client, gone["token"])
    assert presence(client, here["token"], "ready").status_code == 200

    long_ago = services.engine.clock() - timedelta(hours=1)
    _set(services, operators, operators.c.id == gone["id"], last_seen_at=long_ago)
    _worker_pass(services)
    shown = client.get(f"/api/v1/operators/{gone['id']}", headers=auth(tokens["admin"]))
    assert shown.get_json()["presence"] == "offline"
    (moved,) = wait_offers(client, here["token"])
    assert moved["item_id"] == talk

    # Going away takes back pending offers at once.
    assert presence(client, here["token"], "away").status_code == 200
    assert offers_of(client, here["token"]) == []
