"""SLA timers of the sample routing script, fired by the worker's timer pass.

Tickets are opened through the API on ``bpmn/ticket_routing``. Time is moved forward for the
whole system at once: the worker's clock (which timers are due), SpiffWorkflow's timers (which
fire) and the SLA built-ins (what "now" is when a due time is counted). Timers of other tests
that fall due meanwhile fire too; nothing here depends on them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine.calendar import due_after, parse_calendar
from engine.persistence.tables import history
from engine.tickets.sla import GroupCalendars, sla_functions
from engine.timers import fire_due_timers
from tests.conftest import SAMPLES, auth
from tests.support.waiting import join_all

ROUTING = SAMPLES / "ticket_routing"
GROUPS = json.loads((ROUTING / "groups.json").read_text(encoding="utf-8"))


@dataclass
class Clock:
    """Real time plus an offset the test moves forward."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, moment: datetime, *, past: timedelta = timedelta(seconds=5)) -> None:
        self.offset = max(self.offset, moment + past - datetime.now(UTC))


@pytest.fixture()
def clock(services: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """One moved clock for timers, SpiffWorkflow and the SLA built-ins."""
    moved = Clock()
    if spiff_timer.datetime is not datetime:
        raise AssertionError("SpiffWorkflow's timer module no longer reads datetime.now")

    class _Moved(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + moved.offset

    monkeypatch.setattr(spiff_timer, "datetime", _Moved)
    builtins = services.builtins
    bound = sla_functions(GroupCalendars(services.database, services.engine.specs), moved)
    before = {name: builtins.get(name).run for name in bound}
    for name, run in bound.items():
        builtins.bind(name, run)
    yield moved
    for name, run in before.items():
        builtins.bind(name, run)


@pytest.fixture()
def routing(deploy: Any, key: str) -> str:
    deploy(ROUTING, key)
    return key


def _open(client: Any, token: str, script: str, **fields: Any) -> dict[str, Any]:
    body = {
        "script": script,
        "customer_key": f"c-{uuid.uuid4().hex[:12]}",
        "channel": "web",
        "type": "complaint",
        "subject": "Не работает приложение",
        "body": "Не могу оплатить заказ в приложении",
        **fields,
    }
    resp = client.post("/api/v1/tickets", json=body, headers=auth(token))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def _ticket(client: Any, token: str, ticket_id: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def _route(client: Any, token: str, ticket_id: str) -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}/route", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["entries"]  # type: ignore[no-any-return]


def _left(services: Any, instance_id: str) -> list[str]:
    q = (
        sa.select(history.c.element)
        .where(history.c.instance_id == instance_id, history.c.event == "left")
        .order_by(history.c.id)
    )
    with services.database.unit_of_work() as uow:
        return [str(e) for e in uow.conn.execute(q).scalars()]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _fire_until(
    services: Any, clock: Clock, done: Callable[[], bool], what: str, passes: int = 30
) -> None:
    """The worker's timer pass on the moved clock, until ``done`` (other tests' timers
    share the database, so one pass may not reach ours)."""
    engine = replace(services.engine, clock=clock)
    for _ in range(passes):
        fire_due_timers(services.database, engine, limit=500)
        if done():
            return
    raise AssertionError(f"{what}: not after {passes} timer passes")


def _work(
    client: Any, tokens: dict[str, str], ticket: dict[str, Any], answer: dict[str, Any]
) -> None:
    [item] = ticket["work_items"]
    headers = auth(tokens["operator"])
    resp = client.post(f"/api/v1/work-items/{item['id']}/claim", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    resp = client.post(
        f"/api/v1/work-items/{item['id']}/complete", json={"answer": answer}, headers=headers
    )
    assert resp.status_code == 200, resp.get_json()


def _calendar(group: str) -> Any:
    return parse_calendar(GROUPS["groups"][group].get("calendar"))


# -- classification and due time -------------------------------------------------------------


def test_the_decision_picks_group_sla_and_due_time_in_the_groups_working_hours(
    client: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    bot = tokens["bot"]
    before = clock().replace(microsecond=0)
    online = _open(client, bot, routing, category="website_app")
    after = clock()
    assert online["group"] == "digital" and online["rule"].startswith("R18")
    assert online["status"] == "open"
    # "digital" works round the clock: 8 working hours are 8 hours.
    due = _at(online["due_at"])
    assert before + timedelta(hours=8) <= due <= after + timedelta(hours=8)
    [item] = online["work_items"]
    assert item["group"] == "digital" and item["element"] == "handle"
    assert _at(item["due_at"]) == due

    # "nonfood_quality" works on weekdays 09:00-18:00 Moscow time: 24 working hours.
    before = clock().replace(microsecond=0)
    office = _open(client, bot, routing, category="nonfood_quality", channel="email")
    assert office["group"] == "nonfood_quality"
    expected = due_after(before, 24, _calendar("nonfood_quality"))
    assert abs(_at(office["due_at"]) - expected) <= timedelta(seconds=5)

    # No rule names a group: the fallback group, and its calendar.
    other = _open(client, bot, routing, category="something_new", channel="email")
    assert other["group"] == GROUPS["fallback_group"]
    assert other["rule"].startswith("R28")


def test_claims_go_to_the_legal_group_whatever_the_channel(
    client: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    claim = _open(client, tokens["bot"], routing, type="claim", category="refund_online")
    assert claim["group"] == "legal"
    vip = _open(client, tokens["bot"], routing, category="refund_online",
                attributes={"segment": "vip"})  # fmt: skip
    assert vip["group"] == "vip"


# -- warning, then escalation ----------------------------------------------------------------


def test_warning_then_escalation_fired_by_the_worker(
    client: Any, services: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    bot = tokens["bot"]
    opened = _open(client, bot, routing, category="website_app", channel="chat")
    ticket_id, instance = opened["id"], opened["instance_id"]
    [first_item] = opened["work_items"]
    due = _at(opened["due_at"])
    warn_at = _at(opened["due_at"]) - timedelta(hours=8 * 0.2)  # 80% of 8 h, round the clock

    clock.move_to(warn_at)
    _fire_until(services, clock, lambda: "warn" in _left(services, instance), "the warning")
    warned = _ticket(client, bot, ticket_id)
    assert warned["group"] == "digital", "the warning does not move the ticket"
    assert [i["id"] for i in warned["work_items"]] == [first_item["id"]], (
        "the warning does not interrupt the work"
    )
    assert "escalate" not in _left(services, instance)

    clock.move_to(due)
    _fire_until(
        services, clock, lambda: _ticket(client, bot, ticket_id)["group"] != "digital",
        "the escalation",
    )  # fmt: skip
    escalated = _ticket(client, bot, ticket_id)
    assert escalated["group"] == "escalation_l2"
    [item] = escalated["work_items"]
    assert item["id"] != first_item["id"] and item["group"] == "escalation_l2"
    # A new due time: 4 working hours of the escalation group (round the clock).
    assert abs(_at(escalated["due_at"]) - (clock() + timedelta(hours=4))) < timedelta(minutes=1)
    moves = [e for e in _route(client, bot, ticket_id) if e["to_group"] == "escalation_l2"]
    assert len(moves) == 1
    assert moves[0]["event"] == "escalated" and moves[0]["from_group"] == "digital"
    assert "Эскалация" in moves[0]["reason"]
    left = _left(services, instance)
    assert left.index("warn") < left.index("sla_breach") < left.index("escalate")

    # Missed again: the shift supervisors.
    clock.move_to(_at(escalated["due_at"]))
    _fire_until(
        services, clock,
        lambda: _ticket(client, bot, ticket_id)["group"] == "support_management",
        "the second escalation",
    )  # fmt: skip


# -- waiting for the customer ----------------------------------------------------------------


def test_waiting_for_the_customer_stops_the_clock(
    client: Any, services: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    bot = tokens["bot"]
    opened = _open(client, bot, routing, category="website_app")
    ticket_id, instance = opened["id"], opened["instance_id"]
    due = _at(opened["due_at"])

    clock.move_to(clock() + timedelta(hours=1))
    paused_at = clock()
    _work(client, tokens, opened, {"outcome": "need_info", "question": "Какой у вас телефон?"})
    waiting = _ticket(client, bot, ticket_id)
    assert waiting["status"] == "waiting_customer"
    assert waiting["due_at"] is None and waiting["work_items"] == []
    left_before = due - paused_at

    # Three days pass: the warning and the due time would have come long ago.
    clock.move_to(paused_at + timedelta(days=3))
    fire_due_timers(services.database, replace(services.engine, clock=clock), limit=500)
    assert "sla_breach" not in _left(services, instance)
    assert _ticket(client, bot, ticket_id)["status"] == "waiting_customer"

    resumed_at = clock()
    resp = client.post(
        f"/api/v1/tickets/{ticket_id}/comments",
        json={"author": "customer", "channel": "chat", "text": "+7 916 000-00-00"},
        headers=auth(bot),
    )
    assert resp.status_code == 201, resp.get_json()
    resumed = _ticket(client, bot, ticket_id)
    assert resumed["status"] == "in_progress"
    new_due = _at(resumed["due_at"])
    # The time left when the clock stopped, counted from the reply: the pause is not counted.
    assert abs((new_due - resumed_at) - left_before) < timedelta(seconds=10)
    [item] = resumed["work_items"]
    assert item["group"] == "digital" and _at(item["due_at"]) == new_due

    # Resolved, then closed when the customer does not object within 3 days.
    _work(client, tokens, resumed, {
        "outcome": "resolved", "resolution_code": "consultation",
        "resolution_text": "Оплата прошла, заказ собирается",
    })  # fmt: skip
    assert _ticket(client, bot, ticket_id)["status"] == "resolved"
    clock.move_to(clock() + timedelta(days=3))
    _fire_until(
        services, clock, lambda: _ticket(client, bot, ticket_id)["status"] == "closed",
        "the automatic close",
    )  # fmt: skip


def test_a_reply_after_the_resolution_reopens_the_ticket(
    client: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    bot = tokens["bot"]
    opened = _open(client, bot, routing, category="price_mismatch")
    _work(client, tokens, opened, {
        "outcome": "resolved", "resolution_code": "price_corrected",
        "resolution_text": "Разницу вернули на карту, ценник исправлен",
    })  # fmt: skip
    resp = client.post(
        f"/api/v1/tickets/{opened['id']}/comments",
        json={"author": "customer", "channel": "phone", "text": "Деньги не пришли"},
        headers=auth(bot),
    )
    assert resp.status_code == 201, resp.get_json()
    reopened = _ticket(client, bot, opened["id"])
    assert reopened["status"] == "in_progress" and reopened["group"] == "pricing"
    assert len(reopened["work_items"]) == 1 and reopened["due_at"] is not None


# -- two workers -----------------------------------------------------------------------------


def test_two_workers_escalate_each_ticket_once(
    client: Any, services: Any, tokens: dict[str, str], routing: str, clock: Clock
) -> None:
    opened = [_open(client, tokens["bot"], routing, category="double_charge") for _ in range(12)]
    assert {t["group"] for t in opened} == {"payments"}
    clock.move_to(max(_at(t["due_at"]) for t in opened))
    engine = replace(services.engine, clock=clock)
    threads = [
        threading.Thread(target=fire_due_timers, args=(services.database, engine),
                         kwargs={"limit": 500}, name=f"worker-{n}")
        for n in range(2)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    join_all(threads, "two timer passes", timeout=60)
    _fire_until(
        services, clock,
        lambda: all(_ticket(client, tokens["bot"], t["id"])["group"] == "escalation_l2"
                    for t in opened),
        "every escalation",
    )  # fmt: skip
    for ticket in opened:
        left = Counter(_left(services, ticket["instance_id"]))
        assert left["sla_breach"] == 1 and left["escalate"] == 1, left
        moves = [e for e in _route(client, tokens["bot"], ticket["id"])
                 if e["event"] == "escalated"]  # fmt: skip
        assert len(moves) == 1


def test_the_sample_deploys_with_every_group_calendar_valid() -> None:
    for name, group in GROUPS["groups"].items():
        parse_calendar(group.get("calendar"), f"groups.{name}.calendar")
    assert len(GROUPS["groups"]) >= 20
    assert Path(ROUTING / "routing.dmn").is_file()


def test_group_calendars_come_from_the_published_routing_scripts(
    services: Any, routing: str
) -> None:
    calendars = GroupCalendars(services.database, services.engine.specs)
    name, warranty = calendars("warranty")
    assert name == "warranty" and warranty.timezone == "Asia/Novosibirsk"
    assert warranty == _calendar("warranty")
    fallback = GROUPS["fallback_group"]
    assert calendars(None)[0] == fallback
    assert calendars("no_such_group")[0] == fallback
