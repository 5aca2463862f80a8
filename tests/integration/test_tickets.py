"""Tickets through the API: open, classify by DMN, dedup, work items, route, events."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from engine.persistence.tables import outbox
from engine.timers import fire_due_timers
from tests.conftest import BUNDLES, auth

pytestmark = pytest.mark.smoke

ROUTING = BUNDLES / "ticket_routing"


@pytest.fixture()
def routing(deploy: Any, key: str) -> str:
    deploy(ROUTING, key)
    return key


def customer() -> str:
    return f"cust-{uuid.uuid4().hex[:10]}"


def open_ticket(client: Any, token: str, script: str, **fields: Any) -> Any:
    body = {"channel": "chat", "type": "complaint", "category": "billing", "subject": "s"}
    body.update(fields)
    body.setdefault("customer_key", customer())
    return client.post("/api/v1/tickets", json={"script": script, **body}, headers=auth(token))


def events_of(services: Any, ticket_id: str) -> list[dict[str, Any]]:
    with services.database.unit_of_work() as uow:
        rows = uow.conn.execute(
            sa.select(outbox.c.payload).where(outbox.c.key == ticket_id).order_by(outbox.c.id)
        ).scalars()
        return [json.loads(r) for r in rows]


def route_of(client: Any, token: str, ticket_id: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}/route", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def claimed(client: Any, token: str, ticket: dict[str, Any]) -> str:
    item = ticket["work_items"][0]["id"]
    resp = client.post(f"/api/v1/work-items/{item}/claim", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return str(item)


def complete(client: Any, token: str, item: str, answer: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/work-items/{item}/complete", json={"answer": answer}, headers=auth(token)
    )


def test_a_ticket_is_classified_by_the_decision_table(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    resp = open_ticket(client, tokens["bot"], routing, subject="Charged twice", body="help")
    assert resp.status_code == 201, resp.get_json()
    ticket = resp.get_json()
    assert ticket["number"].startswith("T-") and len(ticket["number"].split("-")[2]) >= 6
    assert ticket["group"] == "billing" and ticket["group_title"] == "Billing"
    assert ticket["rule"] == "complaint-billing" and ticket["status"] == "open"
    assert ticket["version"] == 1 and ticket["merged"] is False and ticket["due_at"]
    (item,) = ticket["work_items"]
    assert item["group"] == "billing" and item["due_at"] == ticket["due_at"]
    assert item["title"] == "Resolve the request"

    shown = client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(tokens["operator"]))
    assert shown.status_code == 200
    detail = shown.get_json()
    assert detail["messages"][0]["text"] == "help" and detail["messages"][0]["channel"] == "chat"
    route = route_of(client, tokens["bot"], ticket["id"])
    assert [e["event"] for e in route["entries"]] == ["created", "classified"]
    classified = route["entries"][1]
    assert classified["to_group"] == "billing" and classified["rule"] == "complaint-billing"
    assert classified["element"] == "classify"
    assert [e["element"] for e in route["elements"]] == ["start", "classify", "plan", "work"]
    assert route["elements"][-1]["left_at"] is None
    kinds = [e["type"] for e in events_of(services, ticket["id"])]
    assert kinds[0] == "ticket.created" and "work_item.opened" in kinds


@pytest.mark.parametrize(
    ("category", "why"),
    [("other", "no decision rule matched"), ("mystery", "'mystery_desk' is not in groups.json")],
)
def test_no_rule_or_an_unknown_group_goes_to_the_fallback_group(
    client: Any, tokens: dict[str, str], routing: str, category: str, why: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing, category=category).get_json()
    assert ticket["group"] == "general"
    assert ticket["work_items"][0]["group"] == "general"
    classified = route_of(client, tokens["bot"], ticket["id"])["entries"][1]
    assert classified["to_group"] == "general" and why in classified["reason"]


def test_bad_requests_name_the_field(client: Any, tokens: dict[str, str], routing: str) -> None:
    bot = tokens["bot"]

    def refused(resp: Any, status: int, path: str) -> None:
        assert resp.status_code == status, resp.get_json()
        assert path in [d["path"] for d in resp.get_json()["error"]["details"]], resp.get_json()

    refused(open_ticket(client, bot, routing, type="gossip"), 422, "type")
    refused(open_ticket(client, bot, routing, customer_key=None), 422, "customer_key")
    refused(open_ticket(client, bot, routing, channel="Chat!"), 422, "channel")
    refused(open_ticket(client, bot, "no_such_script"), 422, "script")
    refused(
        open_ticket(
            client, bot, routing, customer_key=None, identity={"kind": "fax", "value": "1"}
        ),
        422,
        "identity.kind",
    )
    refused(client.get("/api/v1/tickets?status=lost", headers=auth(bot)), 422, "status")
    assert client.get(f"/api/v1/tickets/{uuid.uuid4()}", headers=auth(bot)).status_code == 404
    assert client.get("/api/v1/tickets/nope/route", headers=auth(bot)).status_code == 404
    assert (
        client.post("/api/v1/work-items/nope/claim", headers=auth(tokens["operator"])).status_code
        == 404
    )
    assert client.post("/api/v1/tickets", json={"x": 1}, headers=auth(bot)).status_code == 422


def test_a_non_routing_script_is_refused(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "menu_loop", key)
    resp = open_ticket(client, tokens["bot"], key)
    assert resp.status_code == 422 and "not a routing script" in resp.get_json()["error"]["message"]


def test_the_same_problem_makes_one_ticket_across_channels(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    bot, who = tokens["bot"], customer()
    first = open_ticket(client, bot, routing, customer_key=who, body="by chat").get_json()
    again = open_ticket(client, bot, routing, customer_key=who, channel="email", body="by mail")
    assert again.status_code == 200, again.get_json()
    merged = again.get_json()
    assert merged["merged"] is True and merged["id"] == first["id"]
    assert merged["number"] == first["number"] and merged["channel"] == "email"
    detail = client.get(f"/api/v1/tickets/{first['id']}", headers=auth(bot)).get_json()
    assert [(m["kind"], m["channel"], m["text"]) for m in detail["messages"]] == [
        ("request", "chat", "by chat"),
        ("merged", "email", "by mail"),
    ]
    route = route_of(client, bot, first["id"])
    assert route["entries"][-1]["event"] == "merged" and "email" in route["entries"][-1]["reason"]
    assert "ticket.merged" in [e["type"] for e in events_of(services, first["id"])]

    other = open_ticket(client, bot, routing, customer_key=who, category="delivery")
    assert other.status_code == 201  # another category: another problem
    asked = [open_ticket(client, bot, routing, customer_key=who, type="question") for _ in "ab"]
    assert [r.status_code for r in asked] == [201, 201]  # window 0: never merged
    listed = client.get(f"/api/v1/tickets?customer_key={who}", headers=auth(bot)).get_json()
    assert len(listed["items"]) == 4 and listed["next"] is None


def test_identities_link_channels_to_one_customer(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    bot, who = auth(tokens["bot"]), customer()
    phone = f"+7 916 {uuid.uuid4().int % 10**7:07d}"
    mail = f"{who}@Example.COM"
    resp = client.put(
        f"/api/v1/customers/{who}/identities",
        json={"identities": [{"kind": "phone", "value": phone}, {"kind": "email", "value": mail}]},
        headers=bot,
    )
    assert resp.status_code == 200, resp.get_json()
    assert {i["kind"]: i["value"] for i in resp.get_json()["identities"]} == {
        "phone": phone.replace(" ", ""),
        "email": mail.lower(),
    }
    by_phone = open_ticket(
        client,
        tokens["bot"],
        routing,
        customer_key=None,
        identity={"kind": "phone", "value": phone.replace(" ", "-")},
    )
    assert by_phone.status_code == 201 and by_phone.get_json()["customer_key"] == who
    by_mail = open_ticket(
        client,
        tokens["bot"],
        routing,
        customer_key=None,
        channel="email",
        identity={"kind": "email", "value": mail},
    )
    assert by_mail.status_code == 200 and by_mail.get_json()["id"] == by_phone.get_json()["id"]

    taken = client.put(
        f"/api/v1/customers/{customer()}/identities",
        json={"identities": [{"kind": "email", "value": mail}]},
        headers=bot,
    )
    assert taken.status_code == 409 and who in taken.get_json()["error"]["message"]
    stranger = open_ticket(
        client,
        tokens["bot"],
        routing,
        customer_key=None,
        identity={"kind": "chat", "value": f"tg-{who}"},
    )
    assert stranger.get_json()["customer_key"] == f"chat:tg-{who}"

    history = client.get(f"/api/v1/customers/{who}/history", headers=bot).get_json()
    assert [i["kind"] for i in history["items"]] == ["ticket"]
    assert history["items"][0]["number"] == by_phone.get_json()["number"]
    assert client.get(f"/api/v1/customers/{customer()}/history", headers=bot).status_code == 404


def test_claim_complete_and_the_status_the_diagram_sets(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    op, admin = tokens["operator"], tokens["admin"]
    ticket = open_ticket(client, tokens["bot"], routing, channel="email").get_json()
    item = ticket["work_items"][0]["id"]
    assert complete(client, op, item, {"resolution": "resolved"}).status_code == 409  # unclaimed
    assert (
        client.post(f"/api/v1/work-items/{item}/claim", headers=auth(tokens["bot"])).status_code
        == 403
    )
    claimed(client, op, ticket)
    again = client.post(f"/api/v1/work-items/{item}/claim", headers=auth(admin))
    assert again.status_code == 409 and "test-operator" in again.get_json()["error"]["message"]

    bad = complete(client, op, item, {"resolution": "maybe"})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["path"] == "resolution"
    missing = complete(client, op, item, {"note": "x"})
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"][0]["path"] == "resolution"

    done = complete(client, op, item, {"resolution": "resolved", "note": "refunded"})
    assert done.status_code == 200, done.get_json()
    after = done.get_json()
    assert after["status"] == "resolved" and after["closed_at"] and after["work_items"] == []
    assert complete(client, op, item, {"resolution": "resolved"}).status_code == 409
    changed = [e for e in events_of(services, ticket["id"]) if e["type"] == "ticket.status_changed"]
    assert changed[-1]["data"]["status"] == "resolved"
    assert changed[-1]["data"]["channel"] == "email"
    assert changed[-1]["data"]["customer_notice"] == f"Request {ticket['number']} is resolved"
    events = [e["event"] for e in route_of(client, op, ticket["id"])["entries"]]
    assert events[-3:] == ["claimed", "completed", "status_changed"]
    again = open_ticket(client, tokens["bot"], routing, customer_key=ticket["customer_key"])
    assert again.status_code == 201  # the resolved one is not joined


def test_waiting_for_the_customer_and_their_reply(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    op = tokens["operator"]
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    item = claimed(client, op, ticket)
    waiting = complete(client, op, item, {"resolution": "need_info"}).get_json()
    assert waiting["status"] == "waiting_customer" and waiting["work_items"] == []
    note = client.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"text": "called, no answer"},
        headers=auth(op),
    )
    assert note.status_code == 201 and note.get_json()["status"] == "waiting_customer"
    reply = client.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"author": "customer", "channel": "phone", "text": "order 42"},
        headers=auth(tokens["bot"]),
    )
    assert reply.status_code == 201, reply.get_json()
    back = reply.get_json()
    assert back["status"] == "in_progress" and back["channel"] == "phone"
    (new_item,) = back["work_items"]
    assert new_item["id"] != item and new_item["group"] == "billing"
    changes = [
        e["data"] for e in events_of(services, ticket["id"]) if e["type"] == "ticket.status_changed"
    ]
    assert [(c["customer_notice"], c["channel"]) for c in changes] == [
        (f"We need more details about {ticket['number']}", "chat"),
        ("Thank you, we are on it", "phone"),  # told where they wrote last
    ]
    elements = route_of(client, op, ticket["id"])["elements"]
    wait = [e for e in elements if e["element"] == "wait_reply"]
    assert wait and wait[0]["left_at"] is not None


def test_the_diagram_escalates_and_transfers(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    op = tokens["operator"]
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    up = complete(client, op, claimed(client, op, ticket), {"resolution": "escalate"}).get_json()
    assert up["group"] == "escalations" and up["work_items"][0]["group"] == "escalations"
    entries = route_of(client, op, ticket["id"])["entries"]
    assert [e["event"] for e in entries[-3:]] == ["completed", "escalated", "status_changed"]
    entry = entries[-2]
    assert entry["event"] == "escalated" and entry["from_group"] == "billing"
    assert entry["reason"] == "escalated by the operator" and entry["element"] == "escalate"
    moved = complete(client, op, claimed(client, op, up), {"resolution": "to_delivery"}).get_json()
    assert moved["group"] == "delivery"
    entry = route_of(client, op, ticket["id"])["entries"][-1]
    assert entry["event"] == "transferred" and entry["reason"] == "Hand to delivery"


def test_transfer_follows_the_groups_rules(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    op = auth(tokens["operator"])
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    item = ticket["work_items"][0]["id"]

    def move(group: str, reason: str = "not ours") -> Any:
        return client.post(
            f"/api/v1/work-items/{item}/transfer",
            json={"group": group, "reason": reason},
            headers=op,
        )

    refused = move("delivery")
    assert refused.status_code == 409
    assert (
        "billing may transfer tickets only to: general, escalations"
        in refused.get_json()["error"]["message"]
    )
    unknown = move("nowhere")
    assert (
        unknown.status_code == 422 and unknown.get_json()["error"]["details"][0]["path"] == "group"
    )
    assert (
        client.post(
            f"/api/v1/work-items/{item}/transfer", json={"group": "general"}, headers=op
        ).status_code
        == 422
    )  # a reason is required
    done = move("general", "wrong department")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["group"] == "general"
    assert done.get_json()["work_items"][0]["group"] == "general"
    entry = route_of(client, tokens["operator"], ticket["id"])["entries"][-1]
    assert (entry["event"], entry["from_group"], entry["to_group"], entry["reason"]) == (
        "transferred",
        "billing",
        "general",
        "wrong department",
    )
    assert entry["actor"] == "test-operator"
    # The workflow sees the new group: completing goes on from there, not back to billing.
    after = complete(
        client,
        tokens["operator"],
        claimed(client, tokens["operator"], done.get_json()),
        {"resolution": "need_info"},
    ).get_json()
    assert after["group"] == "general"


def test_an_sla_timer_escalates_through_the_worker(
    client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    ticket = open_ticket(
        client, tokens["bot"], routing, attributes={"escalate_after": "PT1S"}
    ).get_json()
    assert ticket["group"] == "billing"
    time.sleep(1)
    for _ in range(50):  # other tests' timers share the database
        fire_due_timers(services.database, services.engine)
        now = client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(tokens["bot"])).get_json()
        if now["group"] == "escalations":
            break
        time.sleep(0.05)
    assert now["group"] == "escalations"
    assert [i["group"] for i in now["work_items"]] == ["escalations"]
    cancelled = [i for i in now["all_work_items"] if i["status"] == "cancelled"]
    assert [i["id"] for i in cancelled] == [ticket["work_items"][0]["id"]]
    entry = route_of(client, tokens["bot"], ticket["id"])["entries"][-1]
    assert entry["event"] == "escalated" and entry["actor"] == "timer"
    assert entry["reason"] == "SLA breached: escalation"


def test_sessions_api_does_not_move_a_ticket(
    client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    op = auth(tokens["operator"])
    view = client.get(f"/api/v1/sessions/{ticket['instance_id']}", headers=op).get_json()
    resp = client.post(
        f"/api/v1/sessions/{ticket['instance_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"resolution": "resolved"}},
        headers=op,
    )
    assert resp.status_code == 409 and "work items" in resp.get_json()["error"]["message"]
    started = client.post("/api/v1/sessions", json={"script": routing}, headers=op)
    assert started.status_code == 422


def test_release_and_my_work(client: Any, tokens: dict[str, str], routing: str) -> None:
    op = auth(tokens["operator"])
    ticket = open_ticket(client, tokens["bot"], routing).get_json()
    item = claimed(client, tokens["operator"], ticket)
    mine = client.get("/api/v1/work-items", headers=op).get_json()
    assert item in [i["work_item_id"] for i in mine["items"]]
    shown = client.get(f"/api/v1/work-items/{item}", headers=op).get_json()
    assert shown["form"]["schema"]["required"] == ["resolution"]
    assert shown["form"]["text"] == f"{ticket['number']}: s"
    other = client.post(f"/api/v1/work-items/{item}/release", headers=auth(tokens["admin"]))
    assert other.status_code == 200 and other.get_json()["assignee"] is None
    assert client.post(f"/api/v1/work-items/{item}/release", headers=op).status_code == 409
    entries = [e["event"] for e in route_of(client, tokens["operator"], ticket["id"])["entries"]]
    assert entries[-2:] == ["claimed", "released"]


def test_customer_history_lists_conversations_and_tickets(
    client: Any, tokens: dict[str, str], routing: str, deploy: Any
) -> None:
    bot, who = auth(tokens["bot"]), customer()
    chat_id = f"tg-{who}"
    client.put(
        f"/api/v1/customers/{who}/identities",
        json={"identities": [{"kind": "chat", "value": chat_id}]},
        headers=bot,
    )
    talk = f"talk{uuid.uuid4().hex[:8]}"
    deploy(BUNDLES / "menu_loop", talk)
    by_key = client.post(
        "/api/v1/sessions", json={"script": talk, "customer_key": who}, headers=bot
    ).get_json()
    by_chat = client.post(
        "/api/v1/sessions",
        json={"script": talk, "channel": "chat", "session_key": chat_id},
        headers=bot,
    ).get_json()
    ticket = open_ticket(client, tokens["bot"], routing, customer_key=who).get_json()
    history = client.get(f"/api/v1/customers/{who}/history", headers=bot).get_json()
    assert [(i["kind"], i["id"]) for i in history["items"]] == [
        ("ticket", ticket["id"]),
        ("conversation", by_chat["session_id"]),
        ("conversation", by_key["session_id"]),
    ]
    talked = history["items"][1]
    assert talked["about"] == "Menu loop" and talked["channel"] == "chat"
    assert talked["ended"] is False and history["items"][0]["about"] == "s"
