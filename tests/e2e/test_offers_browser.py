"""The offers panel of the operator player in headless Chromium: an offer arrives live
(server-sent events), is accepted into the conversation, reads in Russian, and the offers
page works without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import Live, drive
from tests.support.operators import new_group, new_operator, presence

pytestmark = pytest.mark.browser


def test_an_offer_arrives_live_and_is_accepted(
    live: Live, client: Any, tokens: dict[str, str], deploy: Any
) -> None:
    group = new_group(deploy)
    op = new_operator(client, tokens, group.name, capacity_conversations=1, capacity_tickets=2)
    result = drive(
        "offers_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=op["token"],
        CUEBOOK_BOT_TOKEN=tokens["bot"],
        CUEBOOK_CHAT=group.chat,
        CUEBOOK_ROUTING=group.routing,
        CUEBOOK_GROUP=group.name,
    )
    assert result["ok"], result.get("error")
    before = result["before"]
    assert before["heading"] == "Offers" and before["presence"] == "offline" and before["empty"]
    assert result["ready"]["presence"] == "ready" and result["ready"]["offers"] == []

    live_panel = result["live"]
    (offer,) = live_panel["offers"]
    assert offer["kind"] == "conversation" and offer["buttons"] == ["Accept", "Decline"]
    assert f"queue {group.name}" in offer["text"] and "s left" in offer["text"]
    assert result["liveUrl"].endswith("/player/")  # no reload, no navigation: it came live
    assert result["acceptedUrl"].endswith(f"/player/sessions/{result['talk']}")

    russian = result["russian"]
    assert russian["lang"] == "ru" and russian["heading"] == "Предложения"
    (ticket_offer,) = russian["offers"]
    assert ticket_offer["kind"] == "ticket" and ticket_offer["buttons"] == ["Принять", "Отказаться"]
    assert "очередь" in ticket_offer["text"]

    no_script = result["noScript"]
    assert no_script["refresh"] == "5"
    assert [o["kind"] for o in no_script["offers"]] == ["ticket"]
    for screen in ("before", "live", "russian", "noScript"):
        assert not result[screen]["overflowing"], screen
    assert result["pageErrors"] == []
    assert result["console"] == []
    assert presence(client, op["token"], "away").status_code == 200
