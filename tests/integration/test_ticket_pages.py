"""The player's ticket pages through Flask: the route map (and its diagram and vendored viewer)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

import player.tickets_pages
from engine.errors import DoesNotExist
from player.tickets_pages import element_times
from tests.conftest import SAMPLES
from tests.integration.test_player_pages import csrf, tags, the
from web.vendored import vendored_version

OUTAGE = SAMPLES / "internet_outage"
pytestmark = pytest.mark.smoke


@pytest.fixture()
def browser(app: Any, tokens: dict[str, str]) -> Iterator[Any]:
    """A signed-in operator's browser (cookies kept)."""
    with app.test_client() as client:
        page = client.get("/player/signin")
        resp = client.post(
            "/player/signin", data={"csrf_token": csrf(page.text), "token": tokens["operator"]}
        )
        assert resp.status_code == 303
        yield client


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
