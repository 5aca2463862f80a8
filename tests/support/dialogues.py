"""menu_loop sessions driven over HTTP by tests about processes, and what the history says
was taken (scale-out, faults, a database restarted under load)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import sqlalchemy as sa

from engine.persistence.tables import history

HUMAN_STEPS = ("name", "menu", "after")


class Dialogue:
    """One menu_loop session driven over HTTP: the answers a server acknowledged (200), in
    order, and the turn count each step's text must show."""

    def __init__(self, view: dict[str, Any], turns: int, first: int = 0) -> None:
        self.sid: str = view["session_id"]
        self.first = first
        self.view = view
        self.turns = turns
        self.acknowledged: list[tuple[str, Any]] = []
        self.version: int = view["version"]["number"]

    def server(self) -> int:
        """0 or 1: the server of the next step, the other one than the previous step's
        (the session was started on server ``first``)."""
        return (self.first + len(self.acknowledged) + 1) % 2

    @property
    def done(self) -> bool:
        return self.view["status"] != "waiting"

    def next_answer(self) -> dict[str, Any]:
        step = self.view["step"]["id"]
        if step == "name":
            return {"name": f"N{self.sid[:6]}"}
        assert step == "menu", self.view
        made = sum(1 for element, _ in self.acknowledged if element == "menu")
        return {"choice": "again" if made < self.turns else "stop"}

    def take(self, client: httpx.Client) -> httpx.Response:
        """Send the next answer; on a 200, record it and check the text shows the turn."""
        element, answer = self.view["step"]["id"], self.next_answer()
        resp = client.post(
            f"/api/v1/sessions/{self.sid}/steps",
            json={"step_token": self.view["step_token"], "answer": answer},
        )
        if resp.status_code != 200:
            return resp
        self.acknowledged.append((element, answer))
        view = resp.json()
        made = sum(1 for element, _ in self.acknowledged if element == "menu")
        assert view["version"]["number"] == self.version, view
        if view["status"] == "waiting":
            assert view["step"]["id"] == "menu", view
            assert view["step"]["text"] == f"N{self.sid[:6]}, turn {made}: again or stop?", (
                f"a stale state served by {client.base_url}",
                view,
            )
        else:
            assert view["status"] == "completed", view
            assert view["step"]["text"] == f"Bye, N{self.sid[:6]}: {made} turns.", view
        self.view = view
        return resp


def start_session(client: httpx.Client, script: str, **extra: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/sessions", json={"script": script, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def human_steps_taken(services: Any, ids: list[str]) -> dict[str, list[tuple[str, Any]]]:
    """Per session, the human steps its history says were taken: (element, answer), in order."""
    q = (
        sa.select(history.c.instance_id, history.c.element, history.c.answer)
        .where(
            history.c.instance_id.in_(ids),
            history.c.event == "left",
            history.c.element.in_(HUMAN_STEPS),
        )
        .order_by(history.c.id)
    )
    taken: dict[str, list[tuple[str, Any]]] = {sid: [] for sid in ids}
    with services.database.engine.connect() as conn:
        for sid, element, answer in conn.execute(q):
            taken[sid].append((element, json.loads(answer) if answer else None))
    return taken
