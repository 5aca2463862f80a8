"""The player's ticket pages in headless Chromium: a group's queue, a ticket taken and
resolved, and the route map drawn by bpmn-js."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUNDLES, SAMPLES
from tests.e2e.harness import Live, drive
from tests.integration.test_ticket_pages import open_ticket, routes, sample_route  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_route_map_marks_the_elements_the_ticket_passed(
    live: Live,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    routes: dict[str, Any],  # noqa: F811
) -> None:
    deploy(SAMPLES / "internet_outage", key)
    routes["t-1"] = sample_route(key)
    result = drive(
        "route_map_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_MAPS=json.dumps([{"name": "sample", "path": "/player/tickets/t-1/map"}]),
    )
    drawn = result["maps"]["sample"]
    assert drawn["state"] == "ready", drawn
    assert drawn["shapes"] > 20
    assert drawn["marked"] == 4  # not_in_this_file is not on this diagram
    assert sorted(drawn["passed"]) == ["ask_symptom", "book_visit", "start", "symptom_details"]
    assert drawn["current"] == ["book_visit"]
    assert drawn["taken"] == ["flow_symptom_known"]  # identify_customer is not in the route
    assert drawn["times"] == ["4 min ×2", "2 min", "2 hr"]  # the start event took no time
    assert drawn["logoShown"]  # bpmn.io's watermark stays visible (its license asks for it)
    assert drawn["heading"] == "Route of ticket T-000042"
    assert [r[1] for r in drawn["rows"]] == ["classified (open)", "transferred (in progress)"]
    assert not drawn["overflowing"]
    assert result["pageErrors"] == []
    assert result["console"] == []


def test_queue_ticket_take_and_resolve(
    live: Live, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "ticket_routing", key)
    first = open_ticket(client, tokens["bot"], key, subject="Charged twice", body="Twice, in May")
    other = open_ticket(
        client, tokens["bot"], key, subject="Another one", body="Line one\nLine two"
    )
    result = drive(
        "ticket_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_GROUP="billing",
        CUEBOOK_TICKET=first["id"],
        CUEBOOK_OTHER_TICKET=other["id"],
        CUEBOOK_ANSWER=json.dumps({"resolution": "resolved", "note": "Refund sent"}),
        CUEBOOK_SHOTS="tickets",
    )
    queue = result["queue"]
    assert queue["heading"] == "Queue billing"
    ours = [r for r in queue["rows"] if r["ticket"] == first["id"]]
    assert ours and ours[0]["take"] and ours[0]["due"].startswith("in ")
    assert not queue["overflowing"]

    opened = result["opened"]
    assert opened["heading"] == "Charged twice" and opened["status"] == "open"
    assert opened["canTake"] and not opened["hasForm"]
    assert "GROUP Billing" in opened["facts"]  # innerText shows the CSS capitals

    taken = result["taken"]
    assert result["takenUrl"].endswith(f"/player/tickets/{first['id']}#work")
    assert taken["hasForm"] and not taken["canTake"]
    assert result["commented"]["messages"][-1] == "Called the customer back"

    assert result["blocked"]
    resolved = result["resolved"]
    assert resolved["status"] == "resolved" and not resolved["hasForm"]
    for screen in ("opened", "taken", "commented", "resolved"):
        assert not result[screen]["overflowing"], screen

    drawn = result["map"]
    assert drawn["state"] == "ready"
    assert {"start", "classify", "plan", "work", "decide", "resolve", "end"} <= set(drawn["passed"])
    assert drawn["current"] == []  # the workflow has ended
    assert {"f1", "f2", "f3", "f4", "f5", "f16"} <= set(drawn["taken"])
    assert drawn["events"][:2] == ["created", "classified"] and "completed" in drawn["events"]
    russian = result["russian"]
    assert russian["queue"]["heading"] == "Очередь billing"
    assert russian["ticket"]["heading"] == "Another one"
    assert russian["map"]["heading"] == f"Маршрут заявки {first['number']}"
    assert all(s["lang"] == "ru" and not s["overflowing"] for s in russian.values())
    transfer = result["transfer"]
    assert transfer["label"] == "Группа" and not transfer["overflowing"]
    assert transfer["options"] == [
        ["", "Выберите группу"],
        ["escalations", "Escalations"],
        ["general", "General support"],
    ]  # the groups billing may hand tickets to
    assert result["pageErrors"] == []
    assert result["console"] == []


def test_the_sample_routing_script_in_the_player(
    live: Live, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    """bpmn/ticket_routing: a Russian form with choices, its drawn diagram, its SLA timers."""
    deploy(SAMPLES / "ticket_routing", key)
    asked = {"category": "website_app", "type": "complaint", "channel": "chat"}
    first = open_ticket(client, tokens["bot"], key, subject="Не работает оплата", **asked)
    other = open_ticket(client, tokens["bot"], key, subject="Приложение падает", **asked)
    assert first["group"] == "digital"
    answer = {
        "outcome": "resolved",
        "resolution_code": "consultation",
        "resolution_text": "Подсказали, как оплатить заказ картой",
    }
    result = drive(
        "ticket_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_GROUP="digital",
        CUEBOOK_TICKET=first["id"],
        CUEBOOK_OTHER_TICKET=other["id"],
        CUEBOOK_ANSWER=json.dumps(answer),
        CUEBOOK_SHOTS="sample",
    )
    assert result["taken"]["hasForm"] and result["blocked"]
    assert result["resolved"]["status"] == "resolved", result["resolved"]
    drawn = result["map"]
    assert drawn["state"] == "ready"
    assert "handle" in drawn["passed"] and drawn["taken"]
    assert all(not s["overflowing"] for s in result["russian"].values())
    assert result["pageErrors"] == [] and result["console"] == []
