"""The player's ticket pages in headless Chromium: the route map drawn by bpmn-js."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.e2e.harness import Live, drive
from tests.integration.test_ticket_pages import routes, sample_route  # noqa: F401

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
    assert [r[1] for r in drawn["rows"]] == ["classified (open)", "transferred (in_progress)"]
    assert not drawn["overflowing"]
    assert result["pageErrors"] == []
    assert result["console"] == []
