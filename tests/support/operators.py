"""Operators for tests: a group of their own (a routing script and a chat script whose
queues are that group), operators serving it, and waits for their offers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.conftest import BUNDLES, auth
from tests.integration.test_group_queue import handed_off, routing_for
from tests.integration.test_tickets import ROUTING, open_ticket
from tests.support.waiting import wait_until


@dataclass
class Group:
    name: str
    routing: str  # the routing script whose tickets open work items in the group
    chat: str  # the chat script whose handoffs wait in the group


def new_group(deploy: Any) -> Group:
    name = f"g{uuid.uuid4().hex[:10]}"
    routing, chat = f"r{name}", f"c{name}"
    deploy(ROUTING, routing, routing_for(name))
    manifest = f'{{"primary_process_id": "menu_loop", "handoff_queue": "{name}"}}'
    deploy(BUNDLES / "menu_loop", chat, {"cuebook.json": manifest.encode()})
    return Group(name, routing, chat)


def new_operator(
    client: Any, tokens: dict[str, str], group: str | None, **profile: Any
) -> dict[str, Any]:
    """A new operator serving ``group``; the answer holds its new ``token``."""
    login = f"op-{uuid.uuid4().hex[:10]}"
    body: dict[str, Any] = {"login": login, "name": login.upper()}
    if group is not None:
        body["skills"] = [{"group": group, "level": 3}]
    body.update(profile)
    resp = client.post("/api/v1/operators", json=body, headers=auth(tokens["admin"]))
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["token"], made
    return made  # type: ignore[no-any-return]


def presence(client: Any, token: str, state: str) -> Any:
    return client.put(
        "/api/v1/operators/me/presence", json={"presence": state}, headers=auth(token)
    )


def offers_of(client: Any, token: str) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/operators/me/offers", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["offers"]  # type: ignore[no-any-return]


def wait_offers(client: Any, token: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until the operator has ``count`` pending offers (assignment runs after commit,
    off the request's thread)."""
    return wait_until(
        lambda: (found := offers_of(client, token)) and len(found) >= count and found,
        f"{count} offer(s)",
    )


def a_conversation(client: Any, tokens: dict[str, str], group: Group) -> str:
    return handed_off(client, tokens, group.chat)


def a_work_item(client: Any, tokens: dict[str, str], group: Group, **fields: Any) -> str:
    made = open_ticket(client, tokens["bot"], group.routing, category=group.name, **fields)
    ticket = made.get_json()
    assert ticket["group"] == group.name, ticket
    return str(ticket["work_items"][0]["id"])
