"""A ticket moved to another group without a work item, and the groups clients list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.integration.test_tickets import (
    ROUTING,
    claimed,
    complete,
    events_of,
    open_ticket,
    route_of,
)


@pytest.fixture()
def routing(deploy: Any, key: str) -> str:
    deploy(ROUTING, key)
    return key


def move(client: Any, token: str, ticket_id: str, group: str, reason: str | None = "x") -> Any:
    body = {"group": group} if reason is None else {"group": group, "reason": reason}
    return client.post(f"/api/v1/tickets/{ticket_id}/transfer", json=body, headers=auth(token))


def test_a_ticket_waiting_for_the_customer_moves_by_the_groups_rules(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    op = tokens["operator"]
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    waiting = complete(client, op, claimed(client, op, ticket), {"resolution": "need_info"})
    assert waiting.get_json()["work_items"] == []
    tid = ticket["id"]

    refused = move(client, op, tid, "delivery")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert "billing may transfer tickets only to: general, escalations" in error["message"]
    unknown = move(client, op, tid, "nowhere")
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"][0] == {
        "path": "group",
        "message": "unknown group 'nowhere'",
    }
    assert move(client, op, tid, "general", reason=None).status_code == 422
    assert move(client, op, tid, "billing").status_code == 409  # there already
    assert move(client, tokens["bot"], tid, "general").status_code == 403

    done = move(client, op, tid, "general", "asked about a delivery, not billing")
    assert done.status_code == 200, done.get_json()
    moved = done.get_json()
    assert moved["group"] == "general" and moved["status"] == "waiting_customer"
    entry = route_of(client, op, tid)["entries"][-1]
    assert (entry["event"], entry["from_group"], entry["to_group"], entry["actor"]) == (
        "transferred",
        "billing",
        "general",
        "test-operator",
    )
    assert entry["reason"] == "asked about a delivery, not billing" and entry["element"]
    (event,) = [e for e in events_of(services, tid) if e["type"] == "ticket.transferred"]
    assert event["data"]["from_group"] == "billing" and event["data"]["to_group"] == "general"
    assert event["data"]["group"] == "general" and event["data"]["actor"] == "test-operator"

    # The workflow knows where the ticket is: the customer's reply opens work in general.
    reply = client.post(
        f"/api/v1/tickets/{tid}/comments",
        json={"author": "customer", "channel": "chat", "text": "order 42"},
        headers=auth(tokens["bot"]),
    )
    assert reply.status_code == 201, reply.get_json()
    (item,) = reply.get_json()["work_items"]
    assert item["group"] == "general" and reply.get_json()["group"] == "general"


def test_a_ticket_with_a_claimed_item_moves_and_the_item_goes_back_to_a_queue(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    op = tokens["operator"]
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    claimed(client, op, ticket)
    moved = move(client, op, ticket["id"], "escalations", "angry customer").get_json()
    (item,) = moved["work_items"]
    assert moved["group"] == "escalations"
    assert item["group"] == "escalations" and item["assignee"] is None


def test_a_resolved_or_unknown_ticket_does_not_move(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    op = tokens["operator"]
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    complete(client, op, claimed(client, op, ticket), {"resolution": "resolved"})
    refused = move(client, op, ticket["id"], "general")
    assert refused.status_code == 409
    assert "the ticket is resolved" in refused.get_json()["error"]["message"]
    assert move(client, op, "0b9e8c43-2f0a-4a47-9b53-7a1d8c1f0e11", "general").status_code == 404
    assert move(client, op, "not-a-ticket", "general").status_code == 404


def test_the_groups_of_a_script_and_of_a_ticket(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    listed = client.get(f"/api/v1/groups?script={routing}", headers=auth(tokens["bot"]))
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["script"] == routing and body["version"] == 1
    assert body["fallback_group"] == "general"
    by_key = {g["key"]: g for g in body["groups"]}
    assert [g["title"] for g in body["groups"]] == sorted(g["title"] for g in body["groups"])
    assert by_key["delivery"]["title"] == "Delivery"
    assert by_key["delivery"]["timezone"] == "Europe/Moscow"
    assert by_key["delivery"]["calendar"]["hours"] == ["09:00", "18:00"]
    assert by_key["general"]["timezone"] is None and by_key["general"]["transfers_to"] is None
    assert by_key["billing"]["transfers_to"] == ["general", "escalations"]

    missing = client.get("/api/v1/groups?script=no-such-script", headers=auth(tokens["bot"]))
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"][0]["path"] == "script"

    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    mine = client.get(f"/api/v1/tickets/{ticket['id']}/groups", headers=auth(tokens["operator"]))
    assert mine.status_code == 200
    allowed = {g["key"]: g["transfer"] for g in mine.get_json()["groups"]}
    assert allowed == {
        "general": True,
        "escalations": True,
        "billing": False,
        "delivery": False,
        "vip_desk": False,
    }
    refusals = {g["key"]: g["refusal"] for g in mine.get_json()["groups"]}
    assert refusals["billing"] == "the ticket is in group billing already"
