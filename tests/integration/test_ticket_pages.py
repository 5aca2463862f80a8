"""The player's ticket pages through Flask: a group's queue, a ticket (take, resolve, hand
over, comment, the customer's history) and its route map (diagram and vendored viewer)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import player.tickets_pages
from engine.errors import DoesNotExist
from engine.tokens import create_token
from player.tickets_pages import element_times
from tests.conftest import BUNDLES, SAMPLES, auth
from tests.integration.test_player_pages import csrf, tags, the
from web.vendored import vendored_version

OUTAGE = SAMPLES / "internet_outage"
ROUTING = BUNDLES / "ticket_routing"
pytestmark = pytest.mark.smoke


def signed_in(app: Any, token: str) -> Any:
    client = app.test_client()
    page = client.get("/player/signin")
    resp = client.post("/player/signin", data={"csrf_token": csrf(page.text), "token": token})
    assert resp.status_code == 303
    return client


@pytest.fixture()
def browser(app: Any, tokens: dict[str, str]) -> Iterator[Any]:
    """A signed-in operator's browser (cookies kept)."""
    with signed_in(app, tokens["operator"]) as client:
        yield client


@pytest.fixture()
def routing(deploy: Any, key: str) -> str:
    deploy(ROUTING, key)
    return key


def open_ticket(client: Any, token: str, script: str, **fields: Any) -> dict[str, Any]:
    body = {"channel": "chat", "type": "complaint", "category": "billing", "subject": "s"}
    body.update(fields)
    body.setdefault("customer_key", f"cust-{uuid.uuid4().hex[:10]}")
    resp = client.post("/api/v1/tickets", json={"script": script, **body}, headers=auth(token))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def post(client: Any, page_url: str, action: str, **data: str) -> Any:
    """Post a form of the page at ``page_url`` (its CSRF token included)."""
    page = client.get(page_url)
    return client.post(action, data={"csrf_token": csrf(page.text), **data})


def sample_route(key: str) -> dict[str, Any]:
    """A route as GET /api/v1/tickets/{id}/route describes it, on the outage diagram."""
    return {
        "ticket_id": "t-1",
        "number": "T-000042",
        "script": key,
        "version": 1,
        "entries": [
            {
                "at": "2030-05-14T09:00:00+00:00",
                "event": "classified",
                "actor": "system",
                "from_group": None,
                "to_group": "first_line",
                "element": "ask_symptom",
                "rule": "rule_3",
                "reason": "no connection",
                "status": "open",
            },
            {
                "at": "2030-05-14T09:20:00+00:00",
                "event": "transferred",
                "actor": "test-operator",
                "from_group": "first_line",
                "to_group": "field_engineers",
                "element": "book_visit",
                "rule": None,
                "reason": "needs a visit <b>now</b>",
                "status": "in_progress",
            },
        ],
        "elements": [
            {"element": "start", "entered_at": "2030-05-14T09:00:00+00:00",
             "left_at": "2030-05-14T09:00:00+00:00", "seconds": 0},
            {"element": "ask_symptom", "entered_at": "2030-05-14T09:00:00+00:00",
             "left_at": "2030-05-14T09:03:00+00:00", "seconds": 180},
            {"element": "symptom_details", "entered_at": "2030-05-14T09:03:00+00:00",
             "left_at": "2030-05-14T09:05:00+00:00", "seconds": 120},
            {"element": "ask_symptom", "entered_at": "2030-05-14T09:05:00+00:00",
             "left_at": "2030-05-14T09:06:00+00:00", "seconds": 60},
            {"element": "not_in_this_file", "entered_at": "2030-05-14T09:06:00+00:00",
             "left_at": "2030-05-14T09:07:00+00:00", "seconds": 60},
            {"element": "book_visit", "entered_at": "2030-05-14T09:07:00+00:00",
             "left_at": None, "seconds": 7200},
        ],
    }  # fmt: skip


@pytest.fixture()
def routes(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Tickets' routes by id, standing in for the ticket core."""
    known: dict[str, dict[str, Any]] = {}

    def route_of(ticket_id: str) -> dict[str, Any]:
        if ticket_id not in known:
            raise DoesNotExist(f"ticket {ticket_id!r} not found")
        return known[ticket_id]

    monkeypatch.setattr(player.tickets_pages, "route_of", route_of)
    return known


def test_element_times_sum_visits_in_first_entered_order() -> None:
    route = sample_route("k")
    times = element_times(route["elements"], {"ask_symptom": "Ask"})
    assert [(t.element, t.name, t.visits, t.seconds, t.current) for t in times] == [
        ("start", "start", 1, 0.0, False),
        ("ask_symptom", "Ask", 2, 240.0, False),
        ("symptom_details", "symptom_details", 1, 120.0, False),
        ("not_in_this_file", "not_in_this_file", 1, 60.0, False),
        ("book_visit", "book_visit", 1, 7200.0, True),
    ]


def test_the_map_page_draws_and_lists_the_route(
    browser: Any, routes: dict[str, Any], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    routes["t-1"] = sample_route(key)
    page = browser.get("/player/tickets/t-1/map", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1" in html and "Route of ticket T-000042" in html

    box = the(html, "div", id="route-diagram")
    assert box["data-diagram-url"] == f"/player/scripts/{key}/versions/1/diagram"
    version = vendored_version("bpmn-js")
    viewer = f"/player/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js?v={version}"
    assert the(html, "script", src=viewer)["defer"] == ""
    assert the(html, "script", src="/player/route-map.js")
    assert the(html, "link", href=f"/player/vendor/bpmn-js/assets/diagram-js.css?v={version}")

    data = re.search(r'<script type="application/json" id="route-data">(.*?)</script>', html, re.S)
    assert data
    map_data = json.loads(data.group(1))
    assert [e["element"] for e in map_data["elements"]] == [
        "start", "ask_symptom", "symptom_details", "not_in_this_file", "book_visit",
    ]  # fmt: skip
    assert map_data["elements"][1] == {
        "element": "ask_symptom", "label": "4 min", "visits": 2, "current": False, "timed": True,
    }  # fmt: skip
    assert map_data["elements"][0]["timed"] is False
    assert map_data["elements"][-1]["current"] is True
    assert map_data["elements"][-1]["label"] == "2 hr"
    assert map_data["path"][:3] == ["start", "ask_symptom", "symptom_details"]

    # the tables work without JavaScript: element names from the diagram, times, entries
    rows = tags(html, "tr", class_="current")
    assert [r["data-element"] for r in rows] == ["book_visit"]
    assert "Опишите проблему" in html or "ask_symptom" in html
    assert [r["data-event"] for r in tags(html, "tr") if "data-event" in r] == [
        "classified", "transferred",
    ]  # fmt: skip
    assert "first_line → field_engineers" in html
    assert "needs a visit &lt;b&gt;now&lt;/b&gt;" in html  # a reason is text, never markup
    assert '<time datetime="2030-05-14T09:20:00+00:00">' in html


def test_the_map_speaks_russian(
    browser: Any, routes: dict[str, Any], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    routes["t-1"] = sample_route(key)
    html = browser.get("/player/tickets/t-1/map", headers={"Accept-Language": "ru"}).text
    assert "Маршрут заявки T-000042" in html
    assert "передана" in html  # transferred
    data = re.search(r'id="route-data">(.*?)</script>', html, re.S)
    assert data and json.loads(data.group(1))["elements"][1]["label"] == "4 мин"


def test_an_unknown_ticket_is_a_404_page(browser: Any, routes: dict[str, Any]) -> None:
    page = browser.get("/player/tickets/nope/map")
    assert page.status_code == 404
    assert "ticket &#39;nope&#39; not found" in page.text


def test_the_player_serves_the_diagram_to_a_signed_in_operator(
    browser: Any, app: Any, deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    resp = browser.get(f"/player/scripts/{key}/versions/1/diagram")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/xml"
    assert resp.data == (OUTAGE / "internet_outage.bpmn").read_bytes()
    with app.test_client() as stranger:
        assert stranger.get(f"/player/scripts/{key}/versions/1/diagram").status_code == 303


def test_vendored_files_are_served_to_anyone_and_nothing_else(app: Any) -> None:
    def status(client: Any, url: str) -> int:
        with client.get(url) as resp:
            return int(resp.status_code)

    with app.test_client() as stranger:
        url = "/player/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"
        with stranger.get(url) as resp:
            assert resp.status_code == 200
            assert resp.data.startswith(b"/*! bpmn-js - bpmn-navigated-viewer v")
            assert "max-age=" in resp.headers["Cache-Control"]
        assert status(stranger, "/player/vendor/bpmn-js/assets/bpmn-js.css") == 200
        assert status(stranger, "/player/vendor/../vendored.py") == 404
        assert status(stranger, "/player/vendor/bpmn-js/nothing.js") == 404


# -- a group's queue and a ticket, on real tickets --------------------------------------


def test_the_queue_lists_tickets_most_urgent_first_with_take_buttons(
    browser: Any, client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    group = "billing"
    first = open_ticket(client, tokens["bot"], routing, subject="Charged twice")
    second = open_ticket(client, tokens["bot"], routing, subject="Refund <please>")
    page = browser.get(f"/player/queues/{group}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    rows = [r for r in tags(page.text, "tr") if r.get("data-kind") == "work_item"]
    ours = [r["data-ticket-id"] for r in rows if r["data-ticket-id"] in (first["id"], second["id"])]
    assert ours == [first["id"], second["id"]]  # the same SLA: the one due first comes first
    item = first["work_items"][0]["id"]
    the(page.text, "form", action=f"/player/tickets/{first['id']}/work-items/{item}/claim")
    assert f'<a href="/player/tickets/{first["id"]}" class="item-link">' in page.text
    assert "Refund &lt;please&gt;" in page.text
    assert re.search(r'class="due-in">in (7|8) hr<', page.text)


def test_the_index_page_opens_a_groups_queue(browser: Any) -> None:
    index = browser.get("/player/")
    assert the(index.text, "form", class_="queue-lookup")["action"] == "/player/queues"
    found = browser.get("/player/queues?group=+billing+")
    assert found.status_code == 303 and found.headers["Location"] == "/player/queues/billing"
    assert browser.get("/player/queues?group=").headers["Location"] == "/player/"


def test_an_empty_queue_says_so_in_russian(browser: Any) -> None:
    page = browser.get("/player/queues/nobody_here", headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    assert "Очередь nobody_here" in page.text and "В этой очереди никто не ждёт." in page.text


def test_take_and_resolve_a_ticket(
    browser: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing, subject="Charged twice", body="Twice!")
    url = f"/player/tickets/{ticket['id']}"
    item = ticket["work_items"][0]["id"]
    page = browser.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Charged twice" in page.text and "Twice!" in page.text
    assert the(page.text, "a", class_="map-link")["href"] == f"{url}/map"
    assert not tags(page.text, "form", id="resolve-form")  # take it first

    taken = post(browser, url, f"{url}/work-items/{item}/claim")
    assert taken.status_code == 303 and taken.headers["Location"] == f"{url}#work"
    page = browser.get(url)
    form = the(page.text, "form", id="resolve-form")
    assert form["action"] == f"{url}/work-items/{item}/complete"
    assert [r["value"] for r in tags(page.text, "input", name="resolution")] == [
        "resolved", "need_info", "escalate", "to_delivery",
    ]  # fmt: skip

    wrong = post(browser, url, f"{url}/work-items/{item}/complete", note="no choice")
    assert wrong.status_code == 422
    assert the(wrong.text, "div", id="error-summary")
    assert "no choice" in wrong.text  # what was typed stays

    done = post(browser, url, f"{url}/work-items/{item}/complete", resolution="resolved")
    assert done.status_code == 303
    page = browser.get(url, headers={"Accept-Language": "en"})
    assert the(page.text, "article", class_="ticket")["data-status"] == "resolved"
    assert "The ticket is resolved." in page.text
    assert not tags(page.text, "form", id="transfer-form")


def test_a_ticket_another_operator_holds(
    app: Any, browser: Any, client: Any, tokens: dict[str, str], routing: str, services: Any
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing)
    url = f"/player/tickets/{ticket['id']}"
    item = ticket["work_items"][0]["id"]
    with services.database.unit_of_work() as uow:
        other = create_token(uow, "operator", "other-operator", datetime.now(UTC))
    with signed_in(app, other) as colleague:
        assert post(colleague, url, f"{url}/work-items/{item}/claim").status_code == 303
    page = browser.get(url, headers={"Accept-Language": "en"})
    assert "other-operator is working on it." in page.text
    assert not tags(page.text, "form", id="resolve-form")
    late = post(browser, url, f"{url}/work-items/{item}/claim")
    assert late.status_code == 409
    assert "claimed by other-operator" in late.text


def options(html: str) -> list[tuple[str, str]]:
    """(value, text) of each option of the transfer form's group list."""
    found = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)
    return [(value, text.strip()) for value, text in found]


def test_hand_a_ticket_to_another_group(
    browser: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing)
    url = f"/player/tickets/{ticket['id']}"
    action = f"{url}/transfer"
    page = browser.get(url, headers={"Accept-Language": "en"}).text
    assert the(page, "form", id="transfer-form")["action"] == action
    assert options(page) == [
        ("", "Choose a group"),
        ("escalations", "Escalations"),
        ("general", "General support"),
    ]  # billing may hand tickets only to these two

    unknown = post(browser, url, action, group="nowhere", reason="wrong desk")
    assert unknown.status_code == 422
    assert "unknown group &#39;nowhere&#39;" in unknown.text
    assert "wrong desk" in unknown.text  # the reason typed stays
    refused = post(browser, url, action, group="vip_desk", reason="a VIP")
    assert refused.status_code == 409
    assert the(refused.text, "p", id="transfer-error")
    no_reason = post(browser, url, action, group="escalations", reason=" ")
    assert no_reason.status_code == 422

    moved = post(browser, url, action, group="escalations", reason="angry customer")
    assert moved.status_code == 303
    page = browser.get(url, headers={"Accept-Language": "ru"}).text
    assert the(page, "article", class_="ticket")["data-group"] == "escalations"
    assert options(page)[0] == ("", "Выберите группу")
    route = client.get(f"/api/v1/tickets/{ticket['id']}/route", headers=auth(tokens["operator"]))
    moves = [e for e in route.get_json()["entries"] if e["event"] == "transferred"]
    assert [(m["from_group"], m["to_group"], m["reason"]) for m in moves] == [
        ("billing", "escalations", "angry customer")
    ]


def test_a_ticket_waiting_for_the_customer_is_handed_over_from_its_page(
    browser: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing)
    url = f"/player/tickets/{ticket['id']}"
    item = ticket["work_items"][0]["id"]
    assert post(browser, url, f"{url}/work-items/{item}/claim").status_code == 303
    asked = post(browser, url, f"{url}/work-items/{item}/complete", resolution="need_info")
    assert asked.status_code == 303
    page = browser.get(url).text
    assert the(page, "article", class_="ticket")["data-status"] == "waiting_customer"
    assert not tags(page, "div", class_="work-item")
    moved = post(browser, url, f"{url}/transfer", group="general", reason="not billing")
    assert moved.status_code == 303
    assert the(browser.get(url).text, "article", class_="ticket")["data-group"] == "general"


def test_comments_and_the_customers_history(
    browser: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    earlier = open_ticket(client, tokens["bot"], routing, type="question", subject="Where?")
    ticket = open_ticket(
        client, tokens["bot"], routing, customer_key=earlier["customer_key"], subject="Now"
    )
    url = f"/player/tickets/{ticket['id']}"
    page = browser.get(url, headers={"Accept-Language": "en"})
    history = [a["href"] for a in tags(page.text, "a") if a.get("href", "").startswith("/player/t")]
    assert f"/player/tickets/{earlier['id']}" in history
    assert f"{url}" not in history  # the ticket itself is not its own history

    empty = post(browser, url, f"{url}/comments", text="  ")
    assert empty.status_code == 422 and "Write the comment first." in empty.text
    said = post(browser, url, f"{url}/comments", text="Called back, <no answer>")
    assert said.status_code == 303 and said.headers["Location"] == f"{url}#messages"
    page = browser.get(url)
    assert "Called back, &lt;no answer&gt;" in page.text
    assert "test-operator" in page.text


def test_the_map_of_a_real_ticket(
    browser: Any, client: Any, tokens: dict[str, str], routing: str
) -> None:
    ticket = open_ticket(client, tokens["bot"], routing)
    page = browser.get(f"/player/tickets/{ticket['id']}/map", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    data = re.search(r'id="route-data">(.*?)</script>', page.text, re.S)
    assert data
    elements = json.loads(data.group(1))["elements"]
    assert [e["element"] for e in elements][:4] == ["start", "classify", "plan", "work"]
    assert [e["element"] for e in elements if e["current"]] == ["work"]
    assert [r["data-element"] for r in tags(page.text, "tr", class_="current")] == ["work"]
    assert "Resolve the request" in page.text  # the element's name from the diagram
    events = [r["data-event"] for r in tags(page.text, "tr") if "data-event" in r]
    assert events[:2] == ["created", "classified"]


def test_ticket_pages_need_a_signed_in_operator(
    app: Any, client: Any, tokens: dict[str, str]
) -> None:
    with app.test_client() as stranger:
        for url in ("/player/queues/billing", f"/player/tickets/{uuid.uuid4()}"):
            assert stranger.get(url).status_code == 303
    with signed_in(app, tokens["operator"]) as operator:
        assert operator.get(f"/player/tickets/{uuid.uuid4()}").status_code == 404
        assert operator.post("/player/tickets/x/comments", data={"text": "t"}).status_code == 400
