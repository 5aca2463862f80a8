"""An operator's inbox: the conversations and tickets they hold, their scheduled call-backs,
each item with the customer's history beside it (the current item left out); the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.persistence.tables import callbacks
from tests.conftest import BUNDLES, auth
from tests.integration.test_tickets import ROUTING, open_ticket
from tests.support.workspace import make_operator

pytestmark = pytest.mark.smoke


def start_handed_off(client: Any, tokens: dict[str, str], script: str, customer: str) -> str:
    bot = auth(tokens["bot"])
    view = client.post(
        "/api/v1/sessions",
        json={"script": script, "channel": "chat", "customer_key": customer},
        headers=bot,
    ).get_json()
    moved = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "text": "operator"},
        headers=bot,
    ).get_json()
    assert moved["status"] == "handed_off", moved
    return str(moved["session_id"])


def scheduled_callback(services: Any, operator_id: int, customer: str) -> str:
    """A call-back row of the operator's, due in three hours."""
    callback_id, now = str(uuid.uuid4()), datetime.now(UTC)
    with services.database.unit_of_work() as uow:
        uow.conn.execute(
            callbacks.insert().values(
                id=callback_id, customer_key=customer, due_at=now + timedelta(hours=3),
                operator_id=operator_id, note="call about the refund", status="scheduled",
                created_by="test", created_at=now,
            )
        )  # fmt: skip
    return callback_id


@pytest.fixture()
def desk(deploy: Any, key: str) -> dict[str, str]:
    """A routing script and a chat script whose handoffs go to the same new group."""
    group = f"g{uuid.uuid4().hex[:8]}"
    routing, chat = f"r{key}", f"c{key}"
    deploy(ROUTING, routing)
    manifest = f'{{"primary_process_id": "menu_loop", "handoff_queue": "{group}"}}'
    deploy(BUNDLES / "menu_loop", chat, {"cuebook.json": manifest.encode()})
    return {"routing": routing, "chat": chat, "group": group}


def test_the_inbox_holds_what_the_operator_took_with_each_customers_history(
    client: Any, tokens: dict[str, str], desk: dict[str, str], services: Any
) -> None:
    token, login, operator_id = make_operator(services)
    me = auth(token)
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    earlier = open_ticket(client, tokens["bot"], desk["routing"], customer_key=customer,
                          category="delivery").get_json()  # fmt: skip
    ticket = open_ticket(client, tokens["bot"], desk["routing"], customer_key=customer).get_json()
    item = ticket["work_items"][0]["id"]
    assert client.post(f"/api/v1/work-items/{item}/claim", headers=me).status_code == 200
    talk = start_handed_off(client, tokens, desk["chat"], customer)
    assert client.post(f"/api/v1/sessions/{talk}/claim", headers=me).status_code == 200
    other = start_handed_off(client, tokens, desk["chat"], f"cust-{uuid.uuid4().hex[:8]}")
    promised = scheduled_callback(services, operator_id, customer)

    resp = client.get("/api/v1/operators/me/inbox", headers=me)
    assert resp.status_code == 200, resp.get_json()
    inbox = resp.get_json()
    assert inbox["operator"] == login and inbox["presence"] == "ready"
    (conversation,) = inbox["conversations"]
    assert conversation["session_id"] == talk and conversation["customer_key"] == customer
    assert other not in [c["session_id"] for c in inbox["conversations"]]
    talk_history = {h["id"] for h in conversation["history"]}
    assert talk_history == {earlier["id"], ticket["id"]}  # itself left out
    (held,) = inbox["tickets"]
    assert held["work_item_id"] == item and held["ticket_id"] == ticket["id"]
    assert {h["id"] for h in held["history"]} == {earlier["id"], talk}
    assert [c["id"] for c in inbox["callbacks"]] == [promised]
    assert inbox["callbacks"][0]["note"] == "call about the refund"
    assert inbox["counts"] == {"conversations": 1, "tickets": 1, "callbacks": 1}

    limited = client.get("/api/v1/operators/me/inbox?history=1", headers=me).get_json()
    assert len(limited["tickets"][0]["history"]) == 1
    assert client.get("/api/v1/operators/me/inbox", headers=auth(tokens["bot"])).status_code == 403


def test_an_operator_without_a_profile_sees_what_they_hold(
    client: Any, tokens: dict[str, str], desk: dict[str, str]
) -> None:
    ticket = open_ticket(client, tokens["bot"], desk["routing"]).get_json()
    op = auth(tokens["operator"])
    item = ticket["work_items"][0]["id"]
    assert client.post(f"/api/v1/work-items/{item}/claim", headers=op).status_code == 200
    inbox = client.get("/api/v1/operators/me/inbox", headers=op).get_json()
    assert inbox["presence"] is None and inbox["callbacks"] == []
    assert item in [t["work_item_id"] for t in inbox["tickets"]]
    client.post(f"/api/v1/work-items/{item}/release", headers=op)


def test_the_inbox_page_lists_the_items_in_the_readers_language(
    client: Any, tokens: dict[str, str], desk: dict[str, str], services: Any
) -> None:
    token, _login, _ = make_operator(services)
    ticket = open_ticket(client, tokens["bot"], desk["routing"], subject="Charged twice")
    ticket_view = ticket.get_json()
    item = ticket_view["work_items"][0]["id"]
    assert client.post(f"/api/v1/work-items/{item}/claim", headers=auth(token)).status_code == 200
    page = client.get("/player/inbox", headers={**auth(token), "Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My inbox" in html and f'data-id="{item}"' in html and "Charged twice" in html
    assert "You hold no conversation." in html
    russian = client.get("/player/inbox", headers={**auth(token), "Accept-Language": "ru"})
    text = russian.get_data(as_text=True)
    assert "Мои входящие" in text and ticket_view["number"] in text
