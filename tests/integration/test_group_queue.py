"""One queue per group: handed-off conversations and ticket work items together, most urgent
first (due time, then age), keyset-paged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import BUNDLES, auth
from tests.integration.test_tickets import ROUTING, open_ticket

pytestmark = pytest.mark.smoke


def routing_for(group: str) -> dict[str, bytes]:
    """The routing bundle with its billing group renamed ``group``."""
    return {
        name: (ROUTING / name).read_bytes().replace(b"billing", group.encode())
        for name in ("groups.json", "route.dmn")
    }


def handed_off(client: Any, tokens: dict[str, str], script: str) -> str:
    bot = auth(tokens["bot"])
    view = client.post("/api/v1/sessions", json={"script": script, "channel": "chat"}, headers=bot)
    view = view.get_json()
    moved = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "text": "operator"},
        headers=bot,
    ).get_json()
    assert moved["status"] == "handed_off", moved
    return str(moved["session_id"])


def test_conversations_and_work_items_share_one_queue(
    client: Any, tokens: dict[str, str], deploy: Any
) -> None:
    group = f"g{uuid.uuid4().hex[:8]}"
    routing, chat = f"r{group}", f"c{group}"
    deploy(ROUTING, routing, routing_for(group))
    manifest = f'{{"primary_process_id": "menu_loop", "handoff_queue": "{group}"}}'
    deploy(BUNDLES / "menu_loop", chat, {"cuebook.json": manifest.encode()})

    def ticket(hours: int) -> str:
        made = open_ticket(
            client, tokens["bot"], routing, category=group, attributes={"sla_hours": hours}
        ).get_json()
        assert made["group"] == group, made
        return str(made["work_items"][0]["id"])

    late = ticket(48)
    talk_first = handed_off(client, tokens, chat)
    soon = ticket(2)
    middle = ticket(10)
    talk_second = handed_off(client, tokens, chat)

    op = auth(tokens["operator"])
    whole = client.get(f"/api/v1/queues/{group}", headers=op).get_json()
    ids = [i.get("work_item_id") or i.get("session_id") for i in whole["items"]]
    assert ids == [soon, middle, late, talk_first, talk_second]
    assert [i["kind"] for i in whole["items"]] == ["work_item"] * 3 + ["conversation"] * 2
    talk = whole["items"][3]
    assert talk["due_at"] is None and talk["channel"] == "chat" and talk["transcript"]
    assert talk["reason_code"] == "customer_asked" and whole["next"] is None

    seen, after = [], None
    for _ in range(5):
        url = f"/api/v1/queues/{group}?limit=2" + (f"&after={after}" if after else "")
        page = client.get(url, headers=op).get_json()
        seen += [i.get("work_item_id") or i.get("session_id") for i in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == ids

    claimed = client.post(f"/api/v1/work-items/{soon}/claim", headers=op)
    assert claimed.status_code == 200
    after_claim = client.get(f"/api/v1/queues/{group}", headers=op).get_json()["items"]
    assert soon not in [i.get("work_item_id") for i in after_claim]
    bad = client.get(f"/api/v1/queues/{group}?after=not-a-cursor", headers=op)
    assert bad.status_code == 400
